import type { AddedToken } from './schema.ts';
import { escapeRegExp } from './regex.ts';

/** A stretch of input: plain text for the model, or one added token. */
export type Segment = { text: string; id?: undefined } | { text: string; id: number };

/**
 * Finds added tokens (`<s>`, `<|endoftext|>`, ...) in raw text before normalization, leftmost
 * and longest first, so they encode as their own ids and never through BPE. `lstrip`/`rstrip`
 * tokens swallow the whitespace beside them.
 */
export function buildAddedSplitter(tokens: readonly AddedToken[]): (text: string) => Segment[] {
  if (tokens.length === 0) return (text) => (text ? [{ text }] : []);
  const byContent = new Map(tokens.map((t) => [t.content, t]));
  const alternatives = [...byContent.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const re = new RegExp(alternatives.join('|'), 'gu');
  return (text) => {
    const out: Segment[] = [];
    let last = 0;
    for (const m of text.matchAll(re)) {
      const tok = byContent.get(m[0])!;
      let start = m.index;
      let end = start + m[0].length;
      if (tok.lstrip) while (start > last && /\s/u.test(text[start - 1]!)) start--;
      if (tok.rstrip) while (end < text.length && /\s/u.test(text[end]!)) end++;
      if (start > last) out.push({ text: text.slice(last, start) });
      out.push({ text: m[0], id: tok.id });
      last = end;
      re.lastIndex = end;
    }
    if (last < text.length) out.push({ text: text.slice(last) });
    return out;
  };
}
