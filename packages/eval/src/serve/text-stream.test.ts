import { describe, expect, it } from 'vitest';
import { topK } from './logprobs.ts';
import { TextStream } from './text-stream.ts';

const bytes = (ids: number[]) => new TextDecoder().decode(Uint8Array.from(ids));
const ids = (s: string) => [...new TextEncoder().encode(s)];

describe('TextStream', () => {
  it('releases text that cannot change: never a possible stop-string start or half a character', () => {
    const final = 'ab€cd';
    const s = new TextStream(bytes, ['STOP']);
    const all = ids(final);
    const pieces = all.map((_, i) => s.push(all.slice(0, i + 1)));
    // '€' is three bytes: nothing of it until it is whole; the last 3 characters could start 'STOP'
    expect(pieces.join('')).toBe('ab');
    expect(s.finish(final)).toBe('€cd');
  });

  it('never releases a stop string the newest token completed', () => {
    const s = new TextStream(bytes, ['\n\n']);
    expect(s.push(ids('hello'))).toBe('hell');
    expect(s.push(ids('hello\n\nmore'))).toBe('o');
    expect(s.finish('hello')).toBe('');
  });
});

describe('topK', () => {
  it('the k largest, largest first, the lower index on ties', () => {
    expect(topK(Float32Array.from([1, 5, 3, 5, 0]), 3)).toEqual([1, 3, 2]);
    expect(topK(Float32Array.from([1, 2]), 5)).toEqual([1, 0]);
    expect(topK(Float32Array.from([1, 2]), 0)).toEqual([]);
  });
});

describe('TextStream decoding', () => {
  // SentencePiece-like: a leading space is dropped at the start of what is decoded, so a window
  // that started mid-text without tokens before it would lose spaces
  const words = ['▁The', '▁answer', '▁is', '▁4', '2', '.', '▁Ca', 'fé', '▁€', '1', '0', '▁ok'];
  const spDecode = (ids: number[]) =>
    ids
      .map((i) => words[i % words.length]!)
      .join('')
      .replaceAll('▁', ' ')
      .replace(/^ /, '');

  it('streams the whole text as it comes, one decode a token on average, over a long sequence', () => {
    let calls = 0;
    const s = new TextStream((ids) => (calls++, spDecode(ids)), []);
    const all = Array.from({ length: 400 }, (_, i) => (i * 7) % 97);
    const pieces = all.map((_, i) => s.push(all.slice(0, i + 1)));
    const final = spDecode(all);
    // no stop strings and every character complete: all of it streams before the end
    expect(pieces.join('')).toBe(final);
    expect(s.finish(final)).toBe('');
    expect(calls).toBeLessThan(all.length * 1.2);
  });
});
