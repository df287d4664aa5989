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
