import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCorpusTexts } from './corpus.ts';
import { buildAddedSplitter } from './added.ts';
import { addedTokenSchema } from './schema.ts';

describe('readCorpusTexts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rho-corpus-'));
  const jsonl = join(dir, 'a.jsonl');
  const txt = join(dir, 'b.txt');
  writeFileSync(jsonl, '{"q":"one","a":"two"}\n\n{"q":"three","a":"four"}\n');
  writeFileSync(txt, 'line 1\nline 2\n');

  it('joins the chosen jsonl fields by newlines and takes a text file whole', () => {
    expect(readCorpusTexts([jsonl, txt], ['q', 'a'])).toEqual(['one\ntwo', 'three\nfour', 'line 1\nline 2\n']);
  });

  it('names the file and the row of a missing field', () => {
    expect(() => readCorpusTexts([jsonl], ['text'])).toThrow(/row 1 has no string field "text"/);
    expect(() => readCorpusTexts([join(dir, 'none.jsonl')], ['text'])).toThrow(/no such corpus file/);
  });
});

describe('added-token splitting', () => {
  const tok = (o: Record<string, unknown>) => addedTokenSchema.parse(o);
  it('prefers the longest token, and honours lstrip/rstrip and single_word', () => {
    const split = buildAddedSplitter([
      tok({ id: 5, content: '<a>' }),
      tok({ id: 6, content: '<a><b>' }),
      tok({ id: 7, content: '[M]', lstrip: true, rstrip: true }),
      tok({ id: 8, content: 'ing', single_word: true }),
    ]);
    expect(split('x<a><b>y<a>')).toEqual([{ text: 'x' }, { text: '<a><b>', id: 6 }, { text: 'y' }, { text: '<a>', id: 5 }]);
    expect(split('p  [M]  q')).toEqual([{ text: 'p' }, { text: '[M]', id: 7 }, { text: 'q' }]);
    expect(split('sing ing')).toEqual([{ text: 'sing ' }, { text: 'ing', id: 8 }]);
  });
});
