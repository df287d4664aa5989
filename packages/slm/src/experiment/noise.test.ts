import { describe, expect, it } from 'vitest';
import { DEFAULT_NOISE, injectNoise } from './noise.ts';

const clean = 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.\nNatalia sold 48/2 = 24 clips in May.\n#### 72';

describe('injectNoise', () => {
  it('is deterministic, keeps the clean text, and records exactly the inserted spans', () => {
    const a = injectNoise(clean, DEFAULT_NOISE, 5);
    expect(injectNoise(clean, DEFAULT_NOISE, 5)).toEqual(a);
    expect(injectNoise(clean, DEFAULT_NOISE, 6)).not.toEqual(a);
    // Removing the recorded spans gives back the original text, up to the separating spaces.
    let rest = '';
    let at = 0;
    for (const [s, e] of a.noise!) {
      rest += a.text.slice(at, s);
      at = e + 1; // each span is followed by one inserted space
    }
    rest += a.text.slice(at);
    expect(rest).toBe(clean);
    const noiseChars = a.noise!.reduce((n, [s, e]) => n + e - s, 0);
    const share = noiseChars / a.text.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.45);
  });

  it('uses only the requested kinds', () => {
    const only = injectNoise(clean, { ...DEFAULT_NOISE, kinds: ['boilerplate'] }, 1);
    for (const [s, e] of only.noise!) expect(only.text.slice(s, e)).toMatch(/subscribe|rights|Share|Advertisement|cookies|Page/);
    expect(injectNoise(clean, { ...DEFAULT_NOISE, rate: 0 }, 1)).toEqual({ text: clean, noise: [] });
  });

  it('never repeats a sentence within a document, so the noise cannot be predicted by copying', () => {
    const long = Array.from({ length: 12 }, () => clean).join('\n');
    const d = injectNoise(long, { ...DEFAULT_NOISE, kinds: ['boilerplate', 'offtopic'] }, 3);
    const spans = d.noise!.map(([s, e]) => d.text.slice(s, e));
    expect(spans.length).toBeGreaterThan(12); // more spans than the twelve sentences: the rest are random characters
    const sentences = spans.filter((x) => / /.test(x));
    expect(new Set(sentences).size).toBe(sentences.length);
    expect(sentences.length).toBe(12);
  });
});
