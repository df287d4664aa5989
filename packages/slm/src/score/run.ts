import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError, writeFileAtomic, writeJsonAtomic } from '@rho/core';
import type { Corpus } from '../shards/corpus.ts';
import { buildBatch, windowCount } from '../shards/windows.ts';
import { encodeScores } from './float16.ts';
import type { WindowScorer } from './window-scorer.ts';
import { readScoresMeta, SCORES_FORMAT, type ScoresMeta, shardCount, shardLength, shardName } from './store.ts';

export interface ScoreOptions {
  corpus: Corpus;
  split: string;
  out: string;
  seqLen: number;
  batchSize: number;
  dtype: 'float16' | 'float32';
  shardWindows: number;
  /** Recorded in meta.json: where the losses came from. */
  reference: string;
  /** Stop after writing this many new shards (tests use it to stand for an interrupted run). */
  maxNewShards?: number;
  onShard?: (done: number, total: number) => void;
}

/**
 * The reference model's loss for every token of a split, shard by shard. Shards already on disk
 * are kept (after checking meta.json describes the same job), so a killed run continues where
 * it stopped and ends with the same files as an uninterrupted one.
 */
export async function scoreSplit(scorer: WindowScorer, o: ScoreOptions): Promise<ScoresMeta> {
  const split = o.corpus.split(o.split);
  const s = o.corpus.meta.splits[o.split]!;
  const meta: ScoresMeta = {
    format: SCORES_FORMAT,
    split: o.split,
    seqLen: o.seqLen,
    dtype: o.dtype,
    shardWindows: o.shardWindows,
    nTokens: split.length,
    shards: shardCount(split.length, o.seqLen, o.shardWindows),
    corpus: { tokensSha256: s.sha256, tokenizerSha256: o.corpus.meta.tokenizer.sha256 },
    reference: o.reference,
    complete: false,
  };
  mkdirSync(o.out, { recursive: true });
  const metaFile = join(o.out, 'meta.json');
  if (existsSync(metaFile)) {
    const prev = readScoresMeta(o.out);
    const same = (Object.keys(meta) as Array<keyof ScoresMeta>).filter((k) => k !== 'complete').every((k) => JSON.stringify(prev[k]) === JSON.stringify(meta[k]));
    if (!same) throw new RhoError('BAD_CONFIG', 'the output directory holds scores of a different job', { file: metaFile, expected: meta, got: prev, hint: 'use a new --out directory or delete this one' });
    if (prev.complete) return prev;
  } else writeJsonAtomic(metaFile, meta);

  const nWindows = windowCount(split.length, o.seqLen);
  let written = 0;
  for (let sh = 0; sh < meta.shards; sh++) {
    const file = join(o.out, shardName(o.split, sh, o.dtype));
    if (existsSync(file)) {
      o.onShard?.(sh + 1, meta.shards);
      continue;
    }
    if (o.maxNewShards !== undefined && written >= o.maxNewShards) return meta;
    const values = new Float32Array(shardLength(meta, sh)).fill(Number.NaN);
    const first = sh * o.shardWindows;
    const last = Math.min(nWindows, first + o.shardWindows);
    for (let w0 = first; w0 < last; w0 += o.batchSize) {
      const windows = Array.from({ length: Math.min(o.batchSize, last - w0) }, (_, i) => w0 + i);
      const batch = buildBatch(windows, windows.length, o.seqLen, (a, c) => split.tokens.read(a, c));
      const data = await scorer.lossesOf(batch);
      for (let b = 0; b < windows.length; b++) {
        for (let t = 0; t < o.seqLen - 1; t++) {
          if (!batch.targetMask[b * (o.seqLen - 1) + t]) continue;
          // Index within the shard of position w·(T−1)+t+1.
          const j = (windows[b]! - first) * (o.seqLen - 1) + t;
          values[j] = data[b * (o.seqLen - 1) + t]!;
        }
      }
    }
    writeFileAtomic(file, encodeScores(values, o.dtype));
    written++;
    o.onShard?.(sh + 1, meta.shards);
  }
  const done = { ...meta, complete: true };
  writeJsonAtomic(metaFile, done);
  return done;
}
