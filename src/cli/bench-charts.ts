// The latency histogram of `fnpool bench`, twice: as text after the summary (one bar per bucket,
// drawn with block characters, so that a tail or a second hump shows where percentiles hide it),
// and as a standalone SVG file for --out (one chart, written by hand: no scripts, no fonts beyond
// the generic sans-serif, so it opens the same in any browser). The buckets come from stats.ts.
import type { Bucket } from '../loadgen/stats.js';

/** A bucket's edge: "0.25 ms", "500 ms", "2 s". */
export function edgeText(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toPrecision(6)} s` : `${+ms.toPrecision(6)} ms`;
}

/** A bucket's range: "1–2 ms", "500 ms–1 s", "1–2 s" (the unit once when both edges share it). */
export function rangeText(b: Bucket): string {
  const from = edgeText(b.fromMs);
  const to = edgeText(b.toMs);
  const unit = (t: string): string => t.slice(t.indexOf(' '));
  return unit(from) === unit(to) ? `${from.slice(0, from.indexOf(' '))}–${to}` : `${from}–${to}`;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of width × count / most characters, in eighths of a character; a count above 0 shows at least one eighth. */
function bar(count: number, most: number, width: number): string {
  if (count === 0 || most === 0) return '';
  const eighths = Math.max(1, Math.round((count / most) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

/** The histogram as lines of text: range, bar, count and share of each bucket. */
export function textHistogram(buckets: Bucket[], width = 40): string[] {
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  const most = Math.max(0, ...buckets.map((b) => b.count));
  const ranges = buckets.map(rangeText);
  const counts = buckets.map((b) => b.count.toLocaleString('en-US'));
  const rangeW = Math.max(...ranges.map((r) => r.length));
  const countW = Math.max(...counts.map((c) => c.length));
  return buckets.map((b, i) => {
    const share = total > 0 ? `${((100 * b.count) / total).toFixed(1)}%` : '';
    return `${ranges[i]!.padStart(rangeW)}  ${bar(b.count, most, width).padEnd(width)}  ${counts[i]!.padStart(countW)}  ${share.padStart(6)}`.trimEnd();
  });
}

export interface SvgHistogram {
  title: string;
  subtitle: string;
  buckets: Bucket[];
  /** Vertical markers: p50, p99… */
  marks: { label: string; ms: number }[];
}

const W = 760;
const H = 420;
const M = { top: 64, right: 24, bottom: 58, left: 72 };
const BAR = '#2563eb';
const MARK = '#dc2626';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const px = (v: number): string => v.toFixed(1);

/** A step of 1, 2, 2.5 or 5 × 10^k that divides 0..max in about `ticks` parts. */
function niceStep(max: number, ticks = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const step = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
  return Math.max(1, step * magnitude); // counts are whole numbers
}

/**
 * The histogram as an SVG document: one bar per bucket, evenly spaced (the buckets are log-spaced,
 * so the x axis is a log scale of latency), the edges below, counts to the left, and the marks as
 * dashed lines placed within their bucket on the same log scale.
 */
export function svgHistogram(chart: SvgHistogram): string {
  const { buckets } = chart;
  const w = W - M.left - M.right;
  const h = H - M.top - M.bottom;
  const most = Math.max(0, ...buckets.map((b) => b.count));
  const step = niceStep(most);
  const top = Math.max(step, Math.ceil(most / step) * step);
  const n = Math.max(1, buckets.length);
  const slot = w / n;
  const x = (i: number): number => M.left + slot * i;
  const y = (count: number): number => M.top + h - (count / top) * h;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
    `<title>${esc(chart.title)}</title>`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="16" y="26" font-size="16" font-weight="700" fill="#111827">${esc(chart.title)}</text>`,
    `<text x="16" y="46" font-size="12" fill="#4b5563">${esc(chart.subtitle)}</text>`,
  ];
  for (let v = 0; v <= top; v += step) {
    out.push(`<line x1="${M.left}" x2="${M.left + w}" y1="${px(y(v))}" y2="${px(y(v))}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${M.left - 8}" y="${px(y(v) + 4)}" text-anchor="end" font-size="11" fill="#374151">${v.toLocaleString('en-US')}</text>`);
  }
  buckets.forEach((b, i) => {
    if (b.count > 0) {
      const bx = x(i) + 1;
      out.push(`<rect x="${px(bx)}" y="${px(y(b.count))}" width="${px(slot - 2)}" height="${px(y(0) - y(b.count))}" fill="${BAR}"><title>${esc(`${rangeText(b)}: ${b.count.toLocaleString('en-US')}`)}</title></rect>`);
    }
  });
  // Edges under the bars: all of them when they fit, else every other one.
  const every = slot < 48 ? 2 : 1;
  buckets.forEach((b, i) => {
    if (i % every === 0) out.push(`<text x="${px(x(i))}" y="${M.top + h + 16}" text-anchor="middle" font-size="11" fill="#374151">${esc(edgeText(b.fromMs))}</text>`);
  });
  const last = buckets.at(-1);
  if (last && buckets.length % every === 0) {
    out.push(`<text x="${px(x(buckets.length))}" y="${M.top + h + 16}" text-anchor="middle" font-size="11" fill="#374151">${esc(edgeText(last.toMs))}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + h}" stroke="#9ca3af"/>`);
  out.push(`<line x1="${M.left}" x2="${M.left + w}" y1="${M.top + h}" y2="${M.top + h}" stroke="#9ca3af"/>`);
  out.push(`<text x="${M.left + w / 2}" y="${H - 14}" text-anchor="middle" font-size="12" fill="#374151">latency (log scale)</text>`);
  out.push(`<text x="18" y="${M.top + h / 2}" text-anchor="middle" font-size="12" fill="#374151" transform="rotate(-90 18 ${M.top + h / 2})">invocations</text>`);
  chart.marks.forEach((mark, j) => {
    const i = buckets.findIndex((b) => mark.ms >= b.fromMs && mark.ms < b.toMs);
    if (i === -1 || !Number.isFinite(mark.ms)) return;
    const b = buckets[i]!;
    const within = (Math.log(mark.ms) - Math.log(b.fromMs)) / (Math.log(b.toMs) - Math.log(b.fromMs));
    const mx = x(i + Math.min(1, Math.max(0, within)));
    out.push(`<line x1="${px(mx)}" x2="${px(mx)}" y1="${M.top - 4}" y2="${M.top + h}" stroke="${MARK}" stroke-width="1.5" stroke-dasharray="5 4"/>`);
    // Labels in rows, so that marks close together do not write over each other.
    out.push(`<text x="${px(mx + 4)}" y="${M.top + 8 + 13 * j}" font-size="11" fill="${MARK}">${esc(mark.label)}</text>`);
  });
  if (buckets.length === 0) {
    out.push(`<text x="${M.left + w / 2}" y="${M.top + h / 2}" text-anchor="middle" font-size="14" fill="#6b7280">no invocation was measured</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
