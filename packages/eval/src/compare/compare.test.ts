import { describe, expect, it } from 'vitest';
import { compareWithPublished } from './compare.ts';
import type { PublishedTable } from './published.ts';

const table: PublishedTable = {
  model: 'm',
  prompt_type: 'cot',
  rows: {
    gsm8k: { acc: 66.9, source: { url: 'u' } },
    math: { acc: 31.0, source: { url: 'u' } },
  },
};

describe('compareWithPublished', () => {
  it('computes deltas and marks rows beyond the tolerance', () => {
    const rows = compareWithPublished(
      [
        { model: 'm', data: 'gsm8k', promptType: 'cot', acc: 66.8 },
        { model: 'm', data: 'minerva_math', promptType: 'cot', acc: 32.2 },
        { model: 'm', data: 'svamp', promptType: 'cot', acc: 70 },
      ],
      table,
      1.0,
    );
    expect(rows.map((r) => [r.data, r.delta, r.beyondTolerance, r.differentSet])).toEqual([
      ['gsm8k', -0.1, false, false],
      ['minerva_math', 1.2, true, true],
      ['svamp', undefined, false, false],
    ]);
  });
  it('leaves out rows of another prompt type', () => {
    expect(compareWithPublished([{ model: 'm', data: 'gsm8k', promptType: 'tora', acc: 80 }], table, 1)).toEqual([]);
  });
});
