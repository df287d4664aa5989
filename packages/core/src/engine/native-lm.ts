import { closeSync, openSync, readSync } from 'node:fs';
import { RhoError } from '../errors.ts';
import { expectedTensorShapes, type LlamaConfig } from '../config/llama-config.ts';
import { runGeneration, type GenerateOptions, type GenerateResult } from '../generate/run-generation.ts';
import { checkTokenIds } from '../model/llama.ts';
import { inverseFrequencies } from '../model/rope.ts';
import { loadNativeKernels } from '../backend/native.ts';
import { bf16Unavailable, resolvePrecision } from '../backend/precision.ts';
import { bf16BitsToF32, f16BitsToF32 } from '../safetensors/dtype.ts';
import { checkFitsInMemory, planCheckpoint, type CheckpointPlan } from './checkpoint-plan.ts';
import { ENGINE_DTYPE, loadEngineApi, type EngineApi, type EngineHandle, type EngineWeight } from './native-api.ts';
import type { CausalLm, OpenedCheckpoint, OpenOptions, Precision } from './types.ts';
import { lossesFromLogitRows } from './token-losses.ts';

/** A key/value cache being fed by hand; see NativeLm.openSession. */
export interface EngineSession {
  readonly rows: number;
  /**
   * Bytes of keys and values one token holds, every layer, as the engine stores them: BF16 at
   * precision bf16 (as PyTorch keeps them), FP32 at fp32. What key/value budgets count in.
   */
  readonly tokenBytes: number;
  /**
   * Runs the tokens (token i appended to row rows[i]) and returns the logits of the tokens `want`
   * indexes (default all), [want.length, vocab]. With `out` (at least that many floats) they are
   * written there and the result is a view of it: a caller that uses each step's logits before the
   * next reuses one buffer instead of fresh pages every step, whose first writes would fault inside
   * the output head's product.
   */
  feed(rows: readonly number[], tokens: readonly number[], want?: readonly number[], out?: Float32Array): Float32Array;
  /** Tokens held for a row. */
  length(row: number): number;
  /** Row `row` := the first n tokens of `from`'s row `fromRow` (a shared prefix), room for `capacity`. */
  fork(from: EngineSession, fromRow: number, row: number, n: number, capacity: number): void;
  /** The row emptied and its memory freed. */
  reset(row: number): void;
  /** Bytes of keys and values held. */
  bytes(): number;
  dispose(): void;
}

export interface SessionOptions {
  /**
   * Batch-invariant kernels: a row's logits do not depend on the other rows of a call, on how its
   * tokens are split into calls or on a forked prefix, so continuous batching and the shared prefix
   * give exactly the tokens a lone sequence gets. Slower prompt passes (no GEMMs).
   */
  invariant?: boolean;
}

/** The native cache behind each session, for fork. */
const sessionHandles = new WeakMap<EngineSession, EngineHandle>();

/** Tokens per engine call in a prompt pass: bounds the activation buffers (M × intermediate floats). */
const CHUNK_TOKENS = 1024;
/** Bytes of a mapped shard read in per progress report. */
const LOAD_STEP = 256 * 1024 * 1024;

/** Why the native engine cannot run here, or null when it can. */
export function nativeEngineUnavailable(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.RHO_NATIVE === '0') return 'disabled by RHO_NATIVE=0';
  const api = loadEngineApi();
  return api.ok ? null : api.reason;
}

/**
 * bf16 where the CPU multiplies BF16 natively through oneDNN, else fp32: the rule (and the one
 * fallback line) of backend/precision.ts, for the engine's own products.
 */
export function resolveEnginePrecision(want: Precision = 'auto', log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): 'bf16' | 'fp32' {
  const r = resolvePrecision(want, want === 'fp32' ? null : bf16Unavailable('cpu'));
  if (r.fallback) log(r.fallback);
  return r.precision;
}

/**
 * The tensors engineModel takes, in its order: a checkpoint's own order (embedding; per layer the
 * input norm, q, k, v, o, the post-attention norm, gate, up, down; the final norm; lm_head), with
 * the embedding again as the head when the two are tied.
 */
export function engineWeightNames(config: LlamaConfig): string[] {
  const names = [...expectedTensorShapes(config).keys()];
  if (config.tieWordEmbeddings) names.push('model.embed_tokens.weight');
  return names;
}

/** The weights engineModel takes, pointing into the mapped shards. */
function engineWeights(plan: CheckpointPlan, maps: Map<string, EngineHandle>): EngineWeight[] {
  return engineWeightNames(plan.config).map((name): EngineWeight => {
    const t = plan.tensors.get(name)!;
    // a norm in 16 bits: handed over widened (a few KB)
    if (t.shape.length === 1 && t.dtype !== 'F32') return widen(plan, name);
    return [maps.get(t.file)!, t.offset, ENGINE_DTYPE[t.dtype]];
  });
}

function widen(plan: CheckpointPlan, name: string): Float32Array {
  const t = plan.tensors.get(name)!;
  const n = t.shape.reduce((a, b) => a * b, 1);
  const buf = Buffer.alloc(n * 2);
  const fd = openSync(t.file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, t.offset);
  } finally {
    closeSync(fd);
  }
  const u16 = new Uint16Array(buf.buffer, buf.byteOffset, n);
  return t.dtype === 'BF16' ? bf16BitsToF32(u16) : f16BitsToF32(u16);
}

/**
 * A model in the native engine: weights as the checkpoint stores them (mapped, not copied, where
 * they are BF16 or F32 and start on a cache line; copied once onto one where they do not), the
 * prompt pass and decoding in C. Works for any size the machine's memory holds.
 */
export class NativeLm implements CausalLm {
  readonly engine = 'native' as const;
  private handle: EngineHandle | null;

  constructor(
    readonly config: LlamaConfig,
    private readonly api: EngineApi,
    handle: EngineHandle,
    readonly precision: 'bf16' | 'fp32',
    readonly description: string,
  ) {
    this.handle = handle;
  }

  /** The engine model over weights given as tensors by name (Float32Arrays, copied), e.g. a tfjs model's. */
  static fromTensors(config: LlamaConfig, tensors: (name: string) => Float32Array, precision: Precision = 'fp32'): NativeLm {
    const loaded = loadEngineApi();
    if (!loaded.ok) throw new RhoError('UNSUPPORTED', `the native engine cannot run: ${loaded.reason}`, { field: 'engine' });
    const prec = resolveEnginePrecision(precision, () => {});
    const handle = loaded.api.engineModel(
      dims(config, prec),
      config.rmsNormEps,
      inverseFrequencies(config.headDim, config.ropeTheta),
      engineWeightNames(config).map(tensors),
    );
    return new NativeLm(config, loaded.api, handle, prec, describe(prec, loaded.api));
  }

  private model(): EngineHandle {
    if (!this.handle) throw new RhoError('RUNTIME', 'the native model was disposed');
    return this.handle;
  }

  checkIds(rows: readonly (readonly number[])[]): void {
    for (const row of rows) checkTokenIds(row, this.config.vocabSize);
  }

  /**
   * A key/value cache of `batch` rows to feed tokens into by hand: `feed(rows, tokens, want)` runs
   * tokens[i] as the next token of row rows[i] and returns the logits of the tokens indexed by
   * `want` ([want.length, vocab]). What generate does, open for continuous batching and tests.
   */
  openSession(batch: number, opts: SessionOptions = {}): EngineSession {
    const model = this.model();
    const cache = this.api.engineCache(model, batch, opts.invariant ?? false);
    const v = this.config.vocabSize;
    let open = true;
    const live = () => {
      if (!open) throw new RhoError('RUNTIME', 'the engine session was disposed');
    };
    const session: EngineSession = {
      rows: batch,
      tokenBytes: this.api.engineCacheTokenBytes(cache),
      feed: (rows, tokens, want = rows.map((_, i) => i), out) => {
        live();
        if (rows.length !== tokens.length)
          throw new RhoError('BAD_INPUT', `rows (${rows.length}) and tokens (${tokens.length}) differ in length`, { field: 'tokens' });
        this.checkIds([tokens]);
        if (out && out.length < want.length * v)
          throw new RhoError('BAD_INPUT', `out holds ${out.length} floats, the logits of ${want.length} tokens need ${want.length * v}`, { field: 'out' });
        const logits = out ? out.subarray(0, want.length * v) : new Float32Array(want.length * v);
        this.api.engineForward(this.model(), cache, Int32Array.from(rows), Int32Array.from(tokens), Int32Array.from(want), logits);
        return logits;
      },
      length: (row) => this.api.engineCacheLength(cache, row),
      fork: (from, fromRow, row, n, capacity) => {
        live();
        const src = sessionHandles.get(from);
        if (!src) throw new RhoError('BAD_INPUT', 'fork: the source session belongs to no native model', { field: 'from' });
        this.api.engineCacheFork(src, fromRow, cache, row, n, capacity);
      },
      reset: (row) => {
        live();
        this.api.engineCacheReset(cache, row);
      },
      bytes: () => (open ? this.api.engineCacheBytes(cache) : 0),
      dispose: () => {
        if (open) this.api.engineRelease(cache);
        open = false;
      },
    };
    sessionHandles.set(session, cache);
    return session;
  }

  /**
   * All tokens of `rows` through a fresh cache, in chunks of at most CHUNK_TOKENS; the logits of
   * the positions `want(row, t)` selects, in order, into one buffer per row.
   */
  private prompt(session: EngineSession, rows: readonly (readonly number[])[], wantAll: boolean): Float32Array[] {
    const v = this.config.vocabSize;
    const out = rows.map((r) => new Float32Array((wantAll ? r.length : 1) * v));
    const pending: { row: number; t: number }[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      const want = pending.map((p, i) => [p, i] as const).filter(([p]) => wantAll || p.t === rows[p.row]!.length - 1);
      const logits = session.feed(
        pending.map((p) => p.row),
        pending.map((p) => rows[p.row]![p.t]!),
        want.map(([, i]) => i),
      );
      want.forEach(([p], j) => out[p.row]!.set(logits.subarray(j * v, (j + 1) * v), (wantAll ? p.t : 0) * v));
      pending.length = 0;
    };
    rows.forEach((r, row) => {
      for (let t = 0; t < r.length; t++) {
        pending.push({ row, t });
        if (pending.length === CHUNK_TOKENS) flush();
      }
    });
    flush();
    return out;
  }

  generate(prompts: readonly (readonly number[])[], opts: GenerateOptions): GenerateResult {
    this.checkIds(prompts);
    return runGeneration(this.config, prompts, opts, (step, result) => {
      if (prompts.length === 0) return;
      const v = this.config.vocabSize;
      // the kernels the scheduler runs: a prompt's tokens whatever it is batched with
      const session = this.openSession(prompts.length, { invariant: true });
      try {
        const last = this.prompt(session, prompts, false);
        // one buffer for every step's logits: `step` reads them before the next feed
        const buffer = new Float32Array(prompts.length * v);
        last.forEach((l, i) => buffer.set(l, i * v));
        let logits: Float32Array = buffer;
        let active = prompts.map((_, i) => i);
        for (let s = 0; ; s++) {
          const still = step(logits, active);
          opts.onStep?.(s + 1);
          if (still.length === 0) break;
          active = still.map((r) => active[r]!);
          logits = session.feed(
            active,
            active.map((row) => result.tokens[row]!.at(-1)!),
            undefined,
            buffer,
          );
        }
      } finally {
        session.dispose();
      }
    });
  }

  logits(rows: readonly (readonly number[])[]): Float32Array[] {
    this.checkIds(rows);
    if (rows.length === 0) return [];
    const session = this.openSession(rows.length);
    try {
      return this.prompt(session, rows, true);
    } finally {
      session.dispose();
    }
  }

  tokenLosses(rows: readonly (readonly number[])[]): Float32Array[] {
    return lossesFromLogitRows(rows, this.logits(rows), this.config.vocabSize);
  }

  dispose(): void {
    if (this.handle) this.api.engineRelease(this.handle);
    this.handle = null;
  }
}

function dims(c: LlamaConfig, precision: 'bf16' | 'fp32'): Int32Array {
  return Int32Array.from([
    c.numHiddenLayers,
    c.hiddenSize,
    c.numAttentionHeads,
    c.numKeyValueHeads,
    c.headDim,
    c.intermediateSize,
    c.vocabSize,
    c.slidingWindow ?? 0,
    precision === 'bf16' ? 1 : 0,
  ]);
}

function describe(precision: 'bf16' | 'fp32', api: EngineApi): string {
  const native = loadNativeKernels();
  const info = native.ok ? native.kernels.dnnlInfo() : undefined;
  const gemm = info?.ready ? `oneDNN ${info.isa}` : 'OpenBLAS';
  return `native engine, ${precision} (${gemm}), ${api.dnnlThreads()} threads`;
}

/**
 * Opens a checkpoint directory in the native engine: every check first (config, shard headers,
 * shapes, dtypes, whether it fits in memory), then the shards are mapped, not read (matrices off a
 * cache line are copied onto one as the model is built).
 */
export async function openNativeLm(dir: string, opts: OpenOptions = {}): Promise<OpenedCheckpoint & { lm: NativeLm }> {
  const loaded = loadEngineApi();
  if (!loaded.ok)
    throw new RhoError('UNSUPPORTED', `the native engine cannot run: ${loaded.reason}`, {
      field: 'engine',
      hint: 'build the addon (node packages/core/native/build.mjs) or use --engine tfjs',
    });
  const plan = planCheckpoint(dir);
  const precision = resolveEnginePrecision(opts.precision);
  checkFitsInMemory(plan, precision);
  const maps = new Map(plan.files.map((f) => [f, loaded.api.mapFile(f)] as const));
  // Read every page in now, in steps that report progress, rather than on the first tokens.
  const total = plan.files.reduce((a, f) => a + loaded.api.mapSize(maps.get(f)!), 0);
  let done = 0;
  opts.onLoadProgress?.(0, total);
  for (const f of plan.files) {
    const m = maps.get(f)!;
    const size = loaded.api.mapSize(m);
    for (let off = 0; off < size; off += LOAD_STEP) {
      const n = Math.min(LOAD_STEP, size - off);
      loaded.api.mapTouch(m, off, n);
      done += n;
      opts.onLoadProgress?.(done, total);
      await new Promise((r) => setImmediate(r)); // let a progress bar draw
    }
  }
  const weights = engineWeights(plan, maps);
  const c = plan.config;
  const handle = loaded.api.engineModel(dims(c, precision), c.rmsNormEps, inverseFrequencies(c.headDim, c.ropeTheta), weights);
  const lm = new NativeLm(c, loaded.api, handle, precision, describe(precision, loaded.api));
  return { lm, tokenizerPath: plan.tokenizerPath, weightDtype: plan.weightDtype, weightBytes: plan.weightBytes };
}
