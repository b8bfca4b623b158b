// Percentiles and means of samples (latencies, start-up times): what the load generator, the
// benchmark suite and `fnpool bench` report.

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
