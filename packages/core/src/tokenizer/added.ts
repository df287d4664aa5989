import type { AddedToken } from './schema.ts';
import { escapeRegExp } from './regex.ts';

/** A stretch of input: plain text for the model, or one added token. */
export type Segment = { text: string; id?: undefined } | { text: string; id: number };

/**
 * Finds added tokens (`<s>`, `<|endoftext|>`, ...) in raw text before normalization, leftmost
 * and longest first, so they encode as their own ids and never through BPE. `lstrip`/`rstrip`
 * tokens swallow the whitespace beside them; `single_word` ones match only as a whole word.
 * Hugging Face matches non-special `normalized` tokens in normalized text; here every added token
 * is matched in the raw text (the same for every tokenizer whose added tokens are plain words).
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
      if (m.index < last) continue; // inside whitespace an rstrip token already took
      const tok = byContent.get(m[0])!;
      if (tok.single_word && (isWordChar(text[m.index - 1]) || isWordChar(text[m.index + m[0].length]))) continue;
      let start = m.index;
      let end = start + m[0].length;
      if (tok.lstrip) while (start > last && /\s/u.test(text[start - 1]!)) start--;
      if (tok.rstrip) while (end < text.length && /\s/u.test(text[end]!)) end++;
      if (start > last) out.push({ text: text.slice(last, start) });
      out.push({ text: m[0], id: tok.id });
      last = end;
    }
    if (last < text.length) out.push({ text: text.slice(last) });
    return out;
  };
}

const isWordChar = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}_]/u.test(c);
