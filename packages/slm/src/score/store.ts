import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { RhoError } from '@rho/core';
import type { CorpusMeta } from '../shards/format.ts';
import { windowCount } from '../shards/windows.ts';
import { fromHalfBits } from './float16.ts';

/**
 * Reference losses aligned with a prepared corpus split:
 *   meta.json              this schema (which corpus, window length, dtype, shard size)
 *   <split>-00000.f16|f32  losses of positions 1+s·S … 1+(s+1)·S−1, S = shardWindows·(seqLen−1)
 * Position p's loss is the reference's cross-entropy of token p in window ⌊(p−1)/(T−1)⌋ — the
 * same context the trainer sees it in. Position 0 has no loss (NaN). A shard file exists only
 * when complete (atomic write), which is what makes scoring resumable shard by shard; meta.json
 * records each finished shard's sha256 (`sha256`, by shard number), written after the shard, so a
 * shard without its sum is one a kill interrupted and is made again, and a shard whose bytes do
 * not match its sum is damaged and never read.
 */
export const SCORES_FORMAT = 'rho-slm-scores/2';

export const ScoresMeta = z
  .strictObject({
    format: z.literal(SCORES_FORMAT),
    split: z.string(),
    seqLen: z.number().int().min(2),
    dtype: z.enum(['float16', 'float32']),
    shardWindows: z.number().int().positive(),
    nTokens: z.number().int().nonnegative(),
    shards: z.number().int().nonnegative(),
    corpus: z.strictObject({ tokensSha256: z.string(), tokenizerSha256: z.string() }),
    reference: z.string(),
    /** sha256 of each finished shard, null for those not yet written. */
    sha256: z.array(
      z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .nullable(),
    ),
    complete: z.boolean(),
  })
  .refine((m) => m.sha256.length === m.shards, { message: 'sha256 must have one entry per shard', path: ['sha256'] })
  .refine((m) => !m.complete || m.sha256.every((s) => s !== null), { message: 'a complete scores directory has every shard sum', path: ['sha256'] });
export type ScoresMeta = z.infer<typeof ScoresMeta>;

export const shardName = (split: string, s: number, dtype: 'float16' | 'float32') =>
  `${split}-${String(s).padStart(5, '0')}.${dtype === 'float16' ? 'f16' : 'f32'}`;
export const shardSpan = (m: Pick<ScoresMeta, 'shardWindows' | 'seqLen'>) => m.shardWindows * (m.seqLen - 1);
export const shardCount = (nTokens: number, seqLen: number, shardWindows: number) => Math.ceil(windowCount(nTokens, seqLen) / shardWindows);
/** Scores in shard s (the last one is short). */
export function shardLength(m: Pick<ScoresMeta, 'shardWindows' | 'seqLen' | 'nTokens'>, s: number): number {
  const span = shardSpan(m);
  return Math.max(0, Math.min(span, m.nTokens - 1 - s * span));
}

export const shardSha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export function readScoresMeta(dir: string): ScoresMeta {
  const file = join(dir, 'meta.json');
  if (!existsSync(file))
    throw new RhoError('NOT_FOUND', 'not a scores directory (no meta.json)', {
      file,
      hint: 'run `pnpm slm score --ref <ckpt> --corpus <dir> --out <dir>` first',
    });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RhoError('BAD_INPUT', `scores meta.json is not valid JSON: ${(e as Error).message}`, { file });
  }
  const r = ScoresMeta.safeParse(raw);
  if (!r.success)
    throw new RhoError('BAD_INPUT', `bad scores meta.json: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { file });
  return r.data;
}

/**
 * Check that scores belong to this corpus split and window length, before any training starts:
 * a different token file (length or content) or tokenizer is an error, not a silent misalignment.
 */
export function checkAlignment(meta: ScoresMeta, corpus: CorpusMeta, split: string, seqLen: number, dir: string): void {
  const file = join(dir, 'meta.json');
  const s = corpus.splits[split];
  if (!s) throw new RhoError('BAD_INPUT', `scores are for split "${meta.split}", corpus has no split "${split}"`, { file });
  if (meta.split !== split) throw new RhoError('BAD_INPUT', `scores are for split "${meta.split}", not "${split}"`, { file, expected: split, got: meta.split });
  if (meta.corpus.tokenizerSha256 !== corpus.tokenizer.sha256) {
    throw new RhoError('BAD_INPUT', 'scores were computed on a corpus made with a different tokenizer', {
      file,
      expected: corpus.tokenizer.sha256,
      got: meta.corpus.tokenizerSha256,
      hint: 'score the corpus again with the reference model',
    });
  }
  if (meta.nTokens !== s.tokens) {
    throw new RhoError('BAD_INPUT', `scores cover ${meta.nTokens} tokens but the corpus split has ${s.tokens}`, {
      file,
      field: 'nTokens',
      expected: s.tokens,
      got: meta.nTokens,
      hint: 'the scores belong to another corpus; score this one',
    });
  }
  if (meta.corpus.tokensSha256 !== s.sha256) {
    throw new RhoError('BAD_INPUT', 'scores belong to a different token file (sha256 differs)', {
      file,
      expected: s.sha256,
      got: meta.corpus.tokensSha256,
      hint: 'score this corpus again',
    });
  }
  if (meta.seqLen !== seqLen) {
    throw new RhoError('BAD_INPUT', `scores were computed with windows of ${meta.seqLen} tokens, training uses ${seqLen}`, {
      file,
      field: 'seqLen',
      expected: seqLen,
      got: meta.seqLen,
      hint: `train with --seq-len ${meta.seqLen} or score again`,
    });
  }
  if (!meta.complete) throw new RhoError('BAD_INPUT', 'scoring did not finish', { file, hint: 'run the same `pnpm slm score` command again; it resumes' });
}

/** Random access to reference losses by token position. Holds file handles: dispose(). */
export class ScoreReader {
  private readonly fds: number[] = [];
  private readonly width: number;
  constructor(
    readonly dir: string,
    readonly meta: ScoresMeta,
  ) {
    this.width = meta.dtype === 'float16' ? 2 : 4;
    for (let s = 0; s < meta.shards; s++) {
      const f = join(dir, shardName(meta.split, s, meta.dtype));
      if (!existsSync(f) || statSync(f).size !== shardLength(meta, s) * this.width) {
        this.dispose();
        throw new RhoError('BAD_INPUT', 'score shard missing or of the wrong size', {
          file: f,
          expected: shardLength(meta, s) * this.width,
          got: existsSync(f) ? statSync(f).size : 'missing',
        });
      }
      // read once before training: losses from a damaged shard would select the wrong tokens silently
      if (shardSha256(readFileSync(f)) !== meta.sha256[s]) {
        this.dispose();
        throw new RhoError('BAD_INPUT', 'score shard does not match its sha256 in meta.json (damaged or changed)', {
          file: f,
          expected: meta.sha256[s],
          hint: 'run the same `pnpm slm score` command with --repair to score it again',
        });
      }
      this.fds.push(openSync(f, 'r'));
    }
  }

  /** Losses of positions [start, start+count); NaN for position 0 and past the end. */
  read(start: number, count: number): Float32Array {
    const out = new Float32Array(count).fill(Number.NaN);
    const span = shardSpan(this.meta);
    let p = Math.max(start, 1);
    const end = Math.min(start + count, this.meta.nTokens);
    while (p < end) {
      const j = p - 1;
      const s = Math.floor(j / span);
      const off = j - s * span;
      const n = Math.min(end - p, span - off);
      const buf = Buffer.alloc(n * this.width);
      readSync(this.fds[s]!, buf, 0, buf.length, off * this.width);
      for (let i = 0; i < n; i++) out[p - start + i] = this.width === 2 ? fromHalfBits(buf.readUInt16LE(i * 2)) : buf.readFloatLE(i * 4);
      p += n;
    }
    return out;
  }

  dispose(): void {
    for (const fd of this.fds.splice(0)) closeSync(fd);
  }
}
