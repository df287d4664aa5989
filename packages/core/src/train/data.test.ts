import { describe, expect, it } from 'vitest';
import { batchAt, DATA_START, windowCount, type DataPosition } from './data.ts';

const tokens = Int32Array.from({ length: 101 }, (_, i) => i);
const cfg = { seqLen: 11, batchSize: 3, seed: 5, shuffle: true };

function rows(ids: Int32Array, seqLen: number): number[][] {
  return Array.from({ length: ids.length / seqLen }, (_, b) => Array.from(ids.subarray(b * seqLen, (b + 1) * seqLen)));
}

describe('batchAt', () => {
  it('cuts windows that overlap by one token, each target once per epoch', () => {
    const n = windowCount(tokens.length, cfg.seqLen);
    expect(n).toBe(10);
    let pos: DataPosition = DATA_START;
    const starts: number[] = [];
    while (pos.epoch === 0) {
      const { batch, next } = batchAt(tokens, pos, cfg);
      for (const r of rows(batch.ids, cfg.seqLen)) {
        // consecutive ids: a real window of the stream
        expect(r).toEqual(Array.from({ length: 11 }, (_, t) => r[0]! + t));
        starts.push(r[0]!);
      }
      pos = next;
    }
    // 12 rows taken to cross into epoch 1: the first 10 are a permutation of all windows
    expect([...starts.slice(0, 10)].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i * 10));
    expect(starts.slice(0, 10)).not.toEqual(Array.from({ length: 10 }, (_, i) => i * 10));
  });

  it('continues exactly from a saved position, with a new order each epoch', () => {
    const seq = (from: DataPosition, k: number) => {
      const out: number[][] = [];
      let pos = from;
      for (let i = 0; i < k; i++) {
        const r = batchAt(tokens, pos, cfg);
        out.push(Array.from(r.batch.ids));
        pos = r.next;
      }
      return { out, pos };
    };
    const all = seq(DATA_START, 8);
    const head = seq(DATA_START, 3);
    const tail = seq(JSON.parse(JSON.stringify(head.pos)), 5);
    expect([...head.out, ...tail.out]).toEqual(all.out);
    const firstCol = (k: number) =>
      all.out
        .flat()
        .filter((_, i) => i % 11 === 0)
        .slice(k * 10, k * 10 + 10);
    expect(firstCol(0)).not.toEqual(firstCol(1));
  });

  it('reads in stream order without shuffle, and rejects a too-short stream', () => {
    const { batch } = batchAt(tokens, DATA_START, { ...cfg, shuffle: false });
    expect(rows(batch.ids, 11).map((r) => r[0])).toEqual([0, 10, 20]);
    expect(() => batchAt(tokens.subarray(0, 5), DATA_START, cfg)).toThrow(/shorter than one window/);
    expect(() => batchAt(tokens, { epoch: -1, index: 0 }, cfg)).toThrow(/data position/);
  });
});
