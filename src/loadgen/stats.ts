// Percentiles, means and histograms of samples (latencies, start-up times): what the load
// generator, the benchmark suite and `fnpool bench` report.

export interface Summary {
  n: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** p in [0, 100] of ascending samples, by nearest rank; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(samples: ArrayLike<number> | Iterable<number>): Summary {
  // A Float64Array sorts numerically (an Array would sort as strings) and without boxing.
  const sorted = Float64Array.from(samples as Iterable<number>).sort();
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n,
    mean: n ? sum / n : Number.NaN,
    min: n ? sorted[0]! : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: n ? sorted[n - 1]! : Number.NaN,
  };
}

export function median(values: ArrayLike<number> | Iterable<number>): number {
  return percentile(Float64Array.from(values as Iterable<number>).sort(), 50);
}

/** One bar of a histogram: the samples v with fromMs ≤ v < toMs. */
export interface Bucket {
  fromMs: number;
  toMs: number;
  count: number;
}

/**
 * Edges per decade, finest first: roughly even steps on a log scale (each bucket as wide, relative
 * to its values, as the next) with round numbers a person reads at a glance.
 */
const EDGE_SERIES = [[1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8], [1, 2, 5], [1]];

/**
 * A histogram of samples (ms) on round, log-spaced edges: the finest series of EDGE_SERIES that
 * spans min to max in at most maxBuckets bars. Latencies spread over decades (a tail of timeouts
 * behind sub-millisecond answers), so even bars would put everything in the first one.
 */
export function histogram(samples: ArrayLike<number>, maxBuckets = 12): Bucket[] {
  if (samples.length === 0) return [];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // A latency is never 0, but a clock's resolution can make it so: the first bar starts at 1 µs.
  min = Math.max(min, 0.001);
  max = Math.max(max, min);
  let edges: number[] = [];
  for (const series of EDGE_SERIES) {
    edges = edgesOver(min, max, series);
    if (edges.length - 1 <= maxBuckets) break;
  }
  const buckets = edges.slice(0, -1).map((fromMs, i) => ({ fromMs, toMs: edges[i + 1]!, count: 0 }));
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    // The last edge whose bucket starts at or below v (binary search: a dozen edges, many samples).
    let lo = 0;
    let hi = buckets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (buckets[mid]!.fromMs <= v) lo = mid;
      else hi = mid - 1;
    }
    buckets[lo]!.count++;
  }
  return buckets;
}

/** The edges of series (per decade) from the last at or below min to the first above max. */
function edgesOver(min: number, max: number, series: number[]): number[] {
  const edges: number[] = [];
  for (let decade = Math.floor(Math.log10(min)); ; decade++) {
    for (const step of series) {
      // toPrecision: 3 × 10^-1 is 0.30000000000000004 in floating point.
      const edge = +(step * 10 ** decade).toPrecision(6);
      if (edge <= min) edges.length = 0;
      edges.push(edge);
      if (edge > max) return edges;
    }
  }
}
