import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError, writeFileAtomic, writeJsonAtomic } from '@rho/core';
import type { Corpus } from '../shards/corpus.ts';
import { buildBatch, windowCount } from '../shards/windows.ts';
import { encodeScores } from './float16.ts';
import type { WindowScorer } from './window-scorer.ts';
import { readScoresMeta, SCORES_FORMAT, type ScoresMeta, shardCount, shardLength, shardName, shardSha256 } from './store.ts';

/**
 * Whether shard `sh` is on disk with the bytes meta.json records. A shard without a sum (a kill
 * came between writing it and recording it) is removed quietly to be made again; one whose bytes
 * differ from its sum is an error naming it, or with `repair` removed with a warning.
 */
function shardIntact(o: ScoreOptions, meta: ScoresMeta, sh: number): boolean {
  const file = join(o.out, shardName(o.split, sh, o.dtype));
  if (!existsSync(file)) {
    meta.sha256[sh] = null;
    return false;
  }
  const want = meta.sha256[sh];
  if (want && shardSha256(readFileSync(file)) === want) return true;
  if (want) {
    if (!o.repair)
      throw new RhoError('BAD_INPUT', 'score shard does not match its sha256 in meta.json (damaged or changed)', {
        file,
        expected: want,
        hint: 'rerun with --repair to score it again',
      });
    o.warn?.(`warning: ${file}: does not match its sha256 in meta.json; scoring it again`);
  }
  rmSync(file);
  meta.sha256[sh] = null;
  return false;
}

function shardsIntact(o: ScoreOptions, meta: ScoresMeta): boolean {
  let all = true;
  for (let sh = 0; sh < meta.shards; sh++) all = shardIntact(o, meta, sh) && all;
  return all;
}

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
  /** Score again a shard whose bytes do not match its recorded sum (with a warning), instead of stopping. */
  repair?: boolean;
  warn?: (line: string) => void;
  onShard?: (done: number, total: number) => void;
}

/**
 * The reference model's loss for every token of a split, shard by shard. Shards already on disk
 * are kept (after checking meta.json describes the same job and the shard its recorded sha256),
 * so a killed run continues where it stopped and ends with the same files as an uninterrupted one.
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
    sha256: Array<string | null>(shardCount(split.length, o.seqLen, o.shardWindows)).fill(null),
    complete: false,
  };
  mkdirSync(o.out, { recursive: true });
  const metaFile = join(o.out, 'meta.json');
  if (existsSync(metaFile)) {
    const prev = readScoresMeta(o.out);
    const differs = (Object.keys(meta) as Array<keyof ScoresMeta>).find(
      (k) => k !== 'complete' && k !== 'sha256' && JSON.stringify(prev[k]) !== JSON.stringify(meta[k]),
    );
    if (differs)
      throw new RhoError('BAD_CONFIG', `the output directory holds scores of a different job (${differs} differs)`, {
        file: metaFile,
        field: differs,
        expected: meta[differs],
        got: prev[differs],
        hint: 'use a new --out directory or delete this one',
      });
    meta.sha256 = prev.sha256;
    if (prev.complete && shardsIntact(o, meta)) return prev;
    meta.complete = false;
  } else writeJsonAtomic(metaFile, meta);

  const nWindows = windowCount(split.length, o.seqLen);
  let written = 0;
  for (let sh = 0; sh < meta.shards; sh++) {
    const file = join(o.out, shardName(o.split, sh, o.dtype));
    if (shardIntact(o, meta, sh)) {
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
    const bytes = encodeScores(values, o.dtype);
    writeFileAtomic(file, bytes);
    // the sum after the shard: a kill between the two leaves a shard without a sum, made again
    meta.sha256[sh] = shardSha256(bytes);
    writeJsonAtomic(metaFile, meta);
    written++;
    o.onShard?.(sh + 1, meta.shards);
  }
  const done = { ...meta, complete: true };
  writeJsonAtomic(metaFile, done);
  return done;
}
