import type { CategoryRow } from './categories.ts';

export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface ShadedToken {
  text: string;
  /** current − reference loss; null when unknown (no reference). */
  excess: number | null;
  selected: boolean;
  noise: boolean;
}

/**
 * Tokens as spans shaded by excess loss (red: the model is behind the reference — useful to
 * learn; blue: ahead of it), selected tokens underlined, recorded noise boxed.
 */
export function shadedText(tokens: readonly ShadedToken[]): string {
  const max = Math.max(1e-6, ...tokens.map((t) => Math.abs(t.excess ?? 0)));
  return tokens
    .map((t) => {
      const a = t.excess === null ? 0 : Math.min(1, Math.abs(t.excess) / max);
      const rgb = (t.excess ?? 0) >= 0 ? '220,38,38' : '37,99,235';
      const cls = ['tok', t.selected ? 'sel' : '', t.noise ? 'noise' : ''].filter(Boolean).join(' ');
      const title = `excess ${t.excess === null ? 'n/a' : t.excess.toFixed(3)}${t.selected ? ', selected' : ''}${t.noise ? ', noise' : ''}`;
      return `<span class="${cls}" style="background:rgba(${rgb},${a.toFixed(3)})" title="${escapeHtml(title)}">${escapeHtml(t.text)}</span>`;
    })
    .join('');
}

export function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  const cell = (v: string | number | null) => (v === null ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : escapeHtml(v));
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const pct = (x: number | null) => (x === null ? null : `${(100 * x).toFixed(1)}%`);

export function categoryHtml(rows: readonly CategoryRow[]): string {
  return table(
    ['category', 'tokens', 'share of all', 'share of selected', 'share of noise'],
    rows.map((r) => [r.category, r.count, pct(r.all), pct(r.selected), pct(r.noise)]),
  );
}

export interface Section {
  id: string;
  title: string;
  body: string;
}

const STYLE = `
body{font:14px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#111}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}
figure{margin:1em 0}.charts{display:flex;flex-wrap:wrap;gap:1em}
.tokens{font:13px/1.9 ui-monospace,monospace;white-space:pre-wrap;border:1px solid #ddd;padding:1em;background:#fff}
.tok.sel{border-bottom:2px solid #111}.tok.noise{outline:1px dashed #7c3aed}
.legend span{padding:0 6px;margin-right:8px}.note{color:#555}`;

/** One self-contained page: inline CSS and SVG, no scripts, nothing fetched. */
export function page(title: string, intro: string, sections: readonly Section[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1><p class="note">${intro}</p>
${sections.map((s) => `<section id="${s.id}"><h2>${escapeHtml(s.title)}</h2>\n${s.body}\n</section>`).join('\n')}
</body></html>
`;
}
