import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RhoError } from '@rho/core';
import { Corpus } from '../shards/corpus.ts';
import { prepareCorpus } from '../shards/prepare.ts';
import { ByteTokenizer } from '../shards/tokenizer.ts';
import { localScorer, type TokenScorer } from './local-scorers.ts';
import { scoreSplit } from './run.ts';
import { checkAlignment, readScoresMeta, ScoreReader } from './store.ts';

const tmp = mkdtempSync(join(tmpdir(), 'slm-score-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A scorer whose loss for target t+1 encodes both the target and its predecessor, so any misalignment shows. */
const probe: TokenScorer = {
  tokenLosses: (ids, mask) =>
    tf.tidy(() => {
      const [B, T] = ids.shape;
      const x = tf.cast(ids, 'float32');
      const l = tf.add(tf.slice(x, [0, 1], [B, T - 1]), tf.mul(tf.slice(x, [0, 0], [B, T - 1]), 0.001));
      return tf.mul(l, tf.cast(tf.slice(mask!, [0, 1], [B, T - 1]), 'float32')) as tf.Tensor2D;
    }),
};

function corpus(name: string, n: number): Corpus {
  const f = join(tmp, `${name}.jsonl`);
  writeFileSync(f, Array.from({ length: n }, (_, i) => JSON.stringify({ text: `doc ${i}: ${'abc'.repeat(i % 7)}` })).join('\n'));
  const out = join(tmp, name);
  prepareCorpus({
    inputs: [f],
    fields: ['text'],
    out,
    tokenizer: { tokenizer: new ByteTokenizer(), kind: 'bytes', sha256: 'bytes', path: null },
    valFraction: 0.1,
    seed: 1,
  });
  return Corpus.open(out);
}

describe('scoreSplit', () => {
  const c = corpus('c', 60);
  afterAll(() => c.dispose());
  const opts = { corpus: c, split: 'train', seqLen: 16, batchSize: 3, shardWindows: 10, reference: 'probe' };

  it('stores each token’s loss at its own position, in the context of its window', async () => {
    for (const dtype of ['float32', 'float16'] as const) {
      const out = join(tmp, `scores-${dtype}`);
      const meta = await scoreSplit(localScorer(probe), { ...opts, out, dtype });
      expect(meta.complete).toBe(true);
      expect(meta.shards).toBeGreaterThan(2);
      const r = new ScoreReader(out, readScoresMeta(out));
      const toks = c.split('train').tokens.read(0, c.split('train').length);
      const got = r.read(0, toks.length + 2);
      expect(Number.isNaN(got[0]!)).toBe(true);
      expect(Number.isNaN(got[toks.length]!)).toBe(true);
      for (let p = 1; p < toks.length; p++) {
        const want = toks[p]! + 0.001 * toks[p - 1]!;
        expect(Math.abs(got[p]! - want)).toBeLessThanOrEqual(dtype === 'float32' ? 1e-4 : want * 2 ** -10);
      }
      // A range read in the middle matches the full read.
      expect(Array.from(r.read(37, 50))).toEqual(Array.from(got.slice(37, 87)));
      r.dispose();
    }
  });

  it('resumes shard by shard and ends with the same files as an uninterrupted run', async () => {
    const full = join(tmp, 'full');
    await scoreSplit(localScorer(probe), { ...opts, out: full, dtype: 'float16' });
    const part = join(tmp, 'part');
    const first = await scoreSplit(localScorer(probe), { ...opts, out: part, dtype: 'float16', maxNewShards: 2 });
    expect(first.complete).toBe(false);
    expect(readdirSync(part).filter((f) => f.endsWith('.f16'))).toHaveLength(2);
    expect(() => checkAlignment(readScoresMeta(part), c.meta, 'train', 16, part)).toThrow(/did not finish/);
    await scoreSplit(localScorer(probe), { ...opts, out: part, dtype: 'float16' });
    for (const f of readdirSync(full)) expect(readFileSync(join(part, f))).toEqual(readFileSync(join(full, f)));
    // A different job in the same directory is refused.
    await expect(scoreSplit(localScorer(probe), { ...opts, out: part, dtype: 'float16', seqLen: 8 })).rejects.toThrow(RhoError);
  });

  it('checks every shard against its sha256: a damaged one is named, --repair scores it again', async () => {
    const full = join(tmp, 'full');
    const out = join(tmp, 'damaged');
    await scoreSplit(localScorer(probe), { ...opts, out, dtype: 'float16' });
    const shard = join(out, 'train-00001.f16');
    const good = readFileSync(shard);
    const bad = Buffer.from(good);
    bad[3] = bad[3]! ^ 0xff;
    writeFileSync(shard, bad);
    // training reads them once before its first step
    expect(() => new ScoreReader(out, readScoresMeta(out))).toThrow(/does not match its sha256/);
    await expect(scoreSplit(localScorer(probe), { ...opts, out, dtype: 'float16' })).rejects.toMatchObject({
      message: expect.stringMatching(/does not match its sha256/),
      context: { file: shard },
    });
    const warnings: string[] = [];
    await scoreSplit(localScorer(probe), { ...opts, out, dtype: 'float16', repair: true, warn: (l) => warnings.push(l) });
    expect(warnings).toEqual([expect.stringContaining('train-00001.f16: does not match its sha256')]);
    for (const f of readdirSync(full)) expect(readFileSync(join(out, f)), f).toEqual(readFileSync(join(full, f)));
  });

  it('a shard written just before a kill, whose sum never reached meta.json, is made again quietly', async () => {
    const full = join(tmp, 'full');
    const out = join(tmp, 'unsummed');
    await scoreSplit(localScorer(probe), { ...opts, out, dtype: 'float16', maxNewShards: 2 });
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    meta.sha256[1] = null;
    writeFileSync(join(out, 'meta.json'), JSON.stringify(meta));
    writeFileSync(join(out, 'train-00001.f16'), Buffer.alloc(4)); // whatever the kill left
    await scoreSplit(localScorer(probe), { ...opts, out, dtype: 'float16' });
    for (const f of readdirSync(full)) expect(readFileSync(join(out, f)), f).toEqual(readFileSync(join(full, f)));
  });

  it('rejects scores that do not align with the corpus or the window length', () => {
    const out = join(tmp, 'scores-float32');
    const meta = readScoresMeta(out);
    expect(() => checkAlignment(meta, c.meta, 'train', 16, out)).not.toThrow();
    expect(() => checkAlignment(meta, c.meta, 'train', 32, out)).toThrow(/windows of 16/);
    const other = corpus('other', 61);
    expect(() => checkAlignment(meta, other.meta, 'train', 16, out)).toThrow(/cover \d+ tokens|different token file/);
    other.dispose();
    expect(() => checkAlignment(meta, { ...c.meta, tokenizer: { ...c.meta.tokenizer, sha256: 'x' } }, 'train', 16, out)).toThrow(/different tokenizer/);
    expect(() => checkAlignment(meta, c.meta, 'val', 16, out)).toThrow(/not "val"/);
  });
});
