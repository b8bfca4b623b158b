// Small self-contained SVG charts: panels side by side, each a line chart over categories (e.g.
// concurrency levels, evenly spaced) or a grouped bar chart. No dependencies, no scripts, no fonts
// beyond the generic sans-serif, so the files render the same on GitHub and in a browser.

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#be185d', '#4b5563'];
const PANEL_W = 460;
const PANEL_H = 300;
const M = { top: 34, right: 16, bottom: 46, left: 64 };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceStep(max, ticks = 5) {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
}

function fmt(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 10_000) return `${+(v / 1000).toFixed(1)}k`;
  if (a >= 100) return String(Math.round(v));
  if (a >= 10) return String(+v.toFixed(1));
  return String(+v.toPrecision(2));
}

function panel(p, x0, y0) {
  const w = PANEL_W - M.left - M.right;
  const h = PANEL_H - M.top - M.bottom;
  const values = p.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const step = niceStep(Math.max(...values, p.minMax ?? 0) * 1.05);
  const top = Math.max(step, Math.ceil((Math.max(...values, 0) * 1.05) / step) * step);
  const y = (v) => y0 + M.top + h - (v / top) * h;
  const n = p.categories.length;
  const out = [];
  out.push(`<text x="${x0 + PANEL_W / 2}" y="${y0 + 20}" text-anchor="middle" font-size="14" font-weight="600">${esc(p.title)}</text>`);
  for (let v = 0; v <= top + 1e-9; v += step) {
    out.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left + w}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${x0 + M.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#374151">${fmt(v)}</text>`);
  }
  out.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left}" y1="${y0 + M.top}" y2="${y0 + M.top + h}" stroke="#9ca3af"/>`);
  out.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left + w}" y1="${y0 + M.top + h}" y2="${y0 + M.top + h}" stroke="#9ca3af"/>`);
  out.push(`<text x="${x0 + 14}" y="${y0 + M.top + h / 2}" text-anchor="middle" font-size="11" fill="#374151" transform="rotate(-90 ${x0 + 14} ${y0 + M.top + h / 2})">${esc(p.yLabel)}</text>`);
  out.push(`<text x="${x0 + M.left + w / 2}" y="${y0 + PANEL_H - 8}" text-anchor="middle" font-size="11" fill="#374151">${esc(p.xLabel ?? '')}</text>`);

  if (p.kind === 'bar') {
    const groupW = w / n;
    const barW = Math.min(36, (groupW * 0.8) / p.series.length);
    p.categories.forEach((cat, i) => {
      const gx = x0 + M.left + groupW * i + (groupW - barW * p.series.length) / 2;
      p.series.forEach((s, j) => {
        const v = s.values[i];
        if (!Number.isFinite(v)) return;
        const bx = gx + j * barW;
        out.push(`<rect x="${bx.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}" fill="${s.color ?? COLORS[j % COLORS.length]}"><title>${esc(`${s.name} · ${cat}: ${fmt(v)}`)}</title></rect>`);
        if (p.labels !== false) out.push(`<text x="${(bx + (barW - 2) / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" text-anchor="middle" font-size="9" fill="#111827">${fmt(v)}</text>`);
      });
      out.push(`<text x="${x0 + M.left + groupW * (i + 0.5)}" y="${y0 + M.top + h + 15}" text-anchor="middle" font-size="11" fill="#374151">${esc(cat)}</text>`);
    });
  } else {
    const x = (i) => x0 + M.left + (n === 1 ? w / 2 : (w * (i + 0.25)) / (n - 0.5));
    p.categories.forEach((cat, i) => {
      out.push(`<text x="${x(i)}" y="${y0 + M.top + h + 15}" text-anchor="middle" font-size="11" fill="#374151">${esc(cat)}</text>`);
    });
    p.series.forEach((s, j) => {
      const color = s.color ?? COLORS[j % COLORS.length];
      const pts = s.values.map((v, i) => (Number.isFinite(v) ? [x(i), y(v)] : null)).filter(Boolean);
      if (pts.length > 1) {
        out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" ${s.dashed ? 'stroke-dasharray="5 4"' : ''} points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`);
      }
      s.values.forEach((v, i) => {
        if (!Number.isFinite(v)) return;
        out.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${s.name} · ${p.categories[i]}: ${fmt(v)}`)}</title></circle>`);
      });
    });
  }
  return out.join('\n');
}

/** @param {{ title: string, subtitle?: string, panels: Array<{ kind?: 'line'|'bar', title: string, xLabel?: string, yLabel: string, categories: string[], series: Array<{ name: string, values: number[], color?: string, dashed?: boolean }> }> }} chart */
export function renderChart(chart) {
  const names = [];
  const colorOf = new Map();
  for (const p of chart.panels) {
    p.series.forEach((s, j) => {
      if (!colorOf.has(s.name)) { colorOf.set(s.name, s.color ?? COLORS[j % COLORS.length]); names.push(s.name); }
    });
  }
  const headH = chart.subtitle ? 48 : 32;
  const legendRows = Math.ceil(names.length / 3);
  const width = PANEL_W * chart.panels.length;
  const height = headH + PANEL_H + 18 * legendRows + 12;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="16" font-weight="700" fill="#111827">${esc(chart.title)}</text>`,
  ];
  if (chart.subtitle) out.push(`<text x="12" y="40" font-size="11" fill="#4b5563">${esc(chart.subtitle)}</text>`);
  chart.panels.forEach((p, i) => out.push(panel(p, PANEL_W * i, headH)));
  const colW = width / 3;
  names.forEach((name, i) => {
    const lx = 16 + colW * (i % 3);
    const ly = headH + PANEL_H + 4 + 18 * Math.floor(i / 3);
    out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${colorOf.get(name)}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly + 10}" font-size="11" fill="#111827">${esc(name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
