// Terminal output: a progress line on a TTY (one line redrawn in place on stderr) and tables.

const tty = process.stderr.isTTY === true;

export class Progress {
  #label = '';
  #total = 1;
  #done = 0;
  #detail = '';
  #last = 0;
  #started = Date.now();

  stage(label, total) {
    this.#label = label;
    this.#total = Math.max(1, total);
    this.#done = 0;
    this.#detail = '';
    this.#draw(true);
  }

  step(detail) {
    this.#detail = detail;
    this.#draw(true);
  }

  /** fraction within the current step (0..1), and a short live figure. */
  tick(fraction, live) {
    this.#draw(false, fraction, live);
  }

  advance() {
    this.#done = Math.min(this.#total, this.#done + 1);
    this.#draw(true);
  }

  clear() {
    if (tty) process.stderr.write('\r\x1b[2K');
  }

  /** Prints a line above the progress line. */
  log(line) {
    this.clear();
    process.stdout.write(line + '\n');
    this.#draw(true);
  }

  #draw(force, fraction = 0, live = '') {
    if (!tty) return;
    const now = Date.now();
    if (!force && now - this.#last < 80) return;
    this.#last = now;
    const ratio = Math.min(1, (this.#done + fraction) / this.#total);
    const width = 24;
    const full = Math.round(ratio * width);
    const bar = '█'.repeat(full) + '░'.repeat(width - full);
    const secs = ((now - this.#started) / 1000).toFixed(0);
    const text = `${bar} ${String(Math.round(ratio * 100)).padStart(3)}%  ${this.#label}  ${this.#detail}${live ? `  ${live}` : ''}  [${secs}s]`;
    const cols = process.stderr.columns || 120;
    process.stderr.write(`\r\x1b[2K${text.slice(0, cols - 1)}`);
  }
}

/** A plain text table with right-aligned numbers. */
export function table(headers, rows) {
  const cells = rows.map((r) => r.map((c) => (c === undefined || c === null ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const numeric = headers.map((_, i) => cells.every((r) => r[i] === '' || /^[-+]?[\d.,]+(×|%| ?ms| ?µs| ?MB|\/s)?$/.test(r[i])));
  const line = (r) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** The same table in GitHub markdown. */
export function markdownTable(headers, rows) {
  const esc = (c) => (c === undefined || c === null ? '' : String(c).replace(/\|/g, '\\|'));
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

export const f0 = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
export const f1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : '—');
export const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '—');
export const f3 = (v) => (Number.isFinite(v) ? v.toFixed(3) : '—');
