import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RhoError } from '../../errors.ts';
import type { LlamaConfig } from '../../config/llama-config.ts';
import { runGeneration, type GenerateOptions, type GenerateResult } from '../../generate/run-generation.ts';
import { checkTokenIds } from '../../model/llama.ts';
import { ggmlTypeName } from '../../gguf/constants.ts';
import { convertToGguf, losslessType } from '../../gguf/convert.ts';
import { checkArchitecture, configFromGguf } from '../../gguf/llama-meta.ts';
import { isGgufFile, readGgufHeader, type GgufHeader } from '../../gguf/reader.ts';
import { vocabDecoder, type VocabDecoder } from '../../gguf/vocab-decode.ts';
import { planCheckpoint } from '../checkpoint-plan.ts';
import { lossesFromLogitRows } from '../token-losses.ts';
import { parameterCount } from '../weights.ts';
import type { CausalLm, GpuChoice, OpenedCheckpoint, OpenOptions, TextCodec } from '../types.ts';
import { SyncWorker } from './sync-worker.ts';
import { checkWithinWindow } from './window.ts';

/** Rows scored together by `logits` (each a llama.cpp sequence, with its own cache). */
const LOGIT_ROWS = 8;
/** Below this many parameters the engine uses one thread unless RHO_THREADS says otherwise. */
const SMALL_MODEL_PARAMS = 50e6;

export const GPU_CHOICES: readonly GpuChoice[] = ['auto', 'cuda', 'vulkan', 'metal', 'none'];
/** The npm package the engine runs on (an optional dependency of @rho/core). */
export const LLAMA_CPP_PACKAGE = 'node-llama-cpp';
export const LLAMA_CPP_INSTALL_HINT = `${LLAMA_CPP_PACKAGE} is an optional dependency of @rho/core: run \`pnpm install\` (not --no-optional), or \`pnpm --filter @rho/core add --save-optional ${LLAMA_CPP_PACKAGE}\`; its prebuilt llama.cpp comes from npm, nothing is compiled`;

interface InitInfo {
  version: string;
  gpu: string | false;
  gpuNames: string[];
  systemInfo: string;
  threads: number;
  architectures: string[];
}

/** The ggml type holding most of a GGUF file's weight bytes. */
export function dominantWeightType(h: GgufHeader): string {
  const by = new Map<number, number>();
  for (const t of h.tensors.values()) if (t.dims.length >= 2) by.set(t.type, (by.get(t.type) ?? 0) + (t.bytes ?? 0));
  const top = [...by].sort((a, b) => b[1] - a[1])[0];
  return top ? ggmlTypeName(top[0]) : 'unknown';
}

/** The CPU's vector features llama.cpp reports using, e.g. `AVX2 AVX512 AVX512_BF16`. */
function cpuFeatures(systemInfo: string): string {
  const cpu = /CPU\s*:([^\n]*)/.exec(systemInfo)?.[1] ?? systemInfo;
  return [...cpu.matchAll(/(\w+)\s*=\s*1/g)]
    .map((m) => m[1])
    .filter((f) => !['LLAMAFILE', 'REPACK', 'OPENMP'].includes(f!))
    .join(' ');
}

/**
 * A model in llama.cpp (node-llama-cpp in a worker thread, see worker.mjs). Prompts and rows run as
 * llama.cpp sequences of one context, batched together; logits come back for the positions asked.
 */
export class LlamaCppLm implements CausalLm {
  readonly engine = 'llama.cpp' as const;
  private sequences = 0;
  private contextSize = 0;
  private disposed = false;

  constructor(
    readonly config: LlamaConfig,
    private readonly worker: SyncWorker,
    readonly precision: 'bf16' | 'fp32',
    readonly description: string,
    private readonly kvType: 'F32' | 'F16',
    private readonly threads: number,
    private readonly hasTokenizer: boolean,
    private readonly addBos: boolean,
    private readonly cleanup: () => void,
  ) {}

  /** A context with at least `n` sequences of `tokens` tokens (llama.cpp must never shift one: that would drop tokens silently). */
  private ensureContext(n: number, tokens: number): void {
    if (n <= this.sequences && tokens <= this.contextSize) return;
    const size = Math.max(tokens, this.contextSize, 64);
    const r = this.worker.call<{ size: number }>('context', { n: Math.max(n, this.sequences), size, kvType: this.kvType, threads: this.threads });
    this.sequences = Math.max(n, this.sequences);
    this.contextSize = r.size;
  }

  private feed(items: { row: number; tokens: readonly number[]; want: number[] }[], argmaxOnly = false): (Float32Array | Int32Array)[] {
    return this.worker.call<(Float32Array | Int32Array)[]>('feed', {
      items: items.map((i) => ({ ...i, tokens: [...i.tokens] })),
      vocabSize: this.config.vocabSize,
      argmaxOnly,
    });
  }

  private clear(rows: number[]): void {
    this.worker.call('clear', { rows });
  }

  checkIds(rows: readonly (readonly number[])[]): void {
    for (const row of rows) checkTokenIds(row, this.config.vocabSize);
  }

  logits(rows: readonly (readonly number[])[]): Float32Array[] {
    this.checkIds(rows);
    rows.forEach((r, i) => checkWithinWindow(this.config, r.length, `row ${i} (${r.length} tokens)`));
    const live = rows.map((r, i) => [r, i] as const).filter(([r]) => r.length > 0);
    const out: Float32Array[] = rows.map(() => new Float32Array(0));
    // a few rows at a time: each is a sequence with its own key/value cache in the context
    for (let s = 0; s < live.length; s += LOGIT_ROWS) {
      const group = live.slice(s, s + LOGIT_ROWS);
      this.ensureContext(group.length, Math.max(...group.map(([r]) => r.length)));
      this.clear(group.map((_, k) => k));
      const got = this.feed(group.map(([r], k) => ({ row: k, tokens: r, want: r.map((_, t) => t) })));
      group.forEach(([, i], k) => (out[i] = got[k] as Float32Array));
    }
    return out;
  }

  tokenLosses(rows: readonly (readonly number[])[]): Float32Array[] {
    return lossesFromLogitRows(rows, this.logits(rows), this.config.vocabSize);
  }

  generate(prompts: readonly (readonly number[])[], opts: GenerateOptions): GenerateResult {
    this.checkIds(prompts);
    prompts.forEach((p, i) =>
      checkWithinWindow(this.config, p.length + opts.maxNewTokens, `prompt ${i} (${p.length} tokens) with ${opts.maxNewTokens} new tokens`),
    );
    return runGeneration(this.config, prompts, opts, (step, result) => {
      if (prompts.length === 0) return;
      const v = this.config.vocabSize;
      // Greedy needs only each row's best token: llama.cpp picks it and the vocabulary's logits
      // stay in the worker (a row of -Infinity with the winner at 0 chooses the same token).
      const greedy = (opts.temperature ?? 0) <= 0;
      const asLogits = (got: (Float32Array | Int32Array)[]): Float32Array => {
        const logits = new Float32Array(got.length * v);
        got.forEach((g, r) => {
          if (greedy) {
            logits.fill(-Infinity, r * v, (r + 1) * v);
            logits[r * v + g[0]!] = 0;
          } else logits.set(g as Float32Array, r * v);
        });
        return logits;
      };
      this.ensureContext(prompts.length, Math.max(...prompts.map((p) => p.length)) + opts.maxNewTokens + 1);
      const rows = prompts.map((_, i) => i);
      this.clear(rows);
      let logits = asLogits(
        this.feed(
          prompts.map((p, i) => ({ row: i, tokens: p, want: [p.length - 1] })),
          greedy,
        ),
      );
      let active = rows;
      for (let s = 0; ; s++) {
        const still = step(logits, active);
        opts.onStep?.(s + 1);
        if (still.length === 0) break;
        active = still.map((r) => active[r]!);
        logits = asLogits(
          this.feed(
            active.map((row) => ({ row, tokens: [result.tokens[row]!.at(-1)!], want: [0] })),
            greedy,
          ),
        );
      }
    });
  }

  /** llama.cpp's own tokenizer of the GGUF file (what `pnpm serve model.gguf` and eval use). */
  textCodec(file: string, decode: VocabDecoder): TextCodec {
    if (!this.hasTokenizer) {
      throw new RhoError('NOT_FOUND', 'this GGUF file has no tokenizer (it was converted from a checkpoint without tokenizer.json)', {
        file,
        hint: 'convert a checkpoint directory that holds tokenizer.json',
      });
    }
    const bos = this.config.bosTokenId;
    return {
      encode: (text, opts) => {
        const ids = this.worker.call<number[]>('tokenize', { text, special: true });
        return this.addBos && bos !== null && opts?.addBos !== false ? [bos, ...ids] : ids;
      },
      decode,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    try {
      this.worker.call('dispose', {});
    } finally {
      this.worker.close();
      this.cleanup();
    }
  }
}

async function startWorker(opts: OpenOptions, env: NodeJS.ProcessEnv): Promise<{ worker: SyncWorker; info: InitInfo }> {
  const gpu = opts.gpu ?? 'auto';
  if (!GPU_CHOICES.includes(gpu))
    throw new RhoError('BAD_CONFIG', `gpu must be one of ${GPU_CHOICES.join(', ')}, got '${gpu}'`, { field: 'gpu', expected: GPU_CHOICES, got: gpu });
  // RHO_LLAMA_CPP_MODULE names another package to load instead (tests: one that is not installed)
  const moduleName = env.RHO_LLAMA_CPP_MODULE?.trim() || LLAMA_CPP_PACKAGE;
  const threads = Number(env.RHO_THREADS) > 0 ? Math.floor(Number(env.RHO_THREADS)) : 0;
  const worker = new SyncWorker(new URL('./worker.mjs', import.meta.url), { moduleName });
  try {
    const info = await worker.callAsync<InitInfo>('init', { gpu, threads });
    return { worker, info };
  } catch (e) {
    worker.close();
    const code = (e as { workerCode?: string }).workerCode;
    if (code === 'MISSING_DEPENDENCY') {
      throw new RhoError(
        'UNSUPPORTED',
        `the llama.cpp engine needs the optional dependency ${LLAMA_CPP_PACKAGE}, which is not installed (${(e as Error).message.replace(/^llama\.cpp: /, '')})`,
        { field: 'engine', hint: LLAMA_CPP_INSTALL_HINT },
      );
    }
    if (gpu !== 'auto' && gpu !== 'none') {
      throw new RhoError('UNSUPPORTED', `llama.cpp cannot use --gpu ${gpu} here: ${(e as Error).message.replace(/^llama\.cpp: /, '')}`, {
        field: 'gpu',
        got: gpu,
        hint: 'use --gpu auto (the best backend found, else the CPU) or --gpu none',
      });
    }
    throw e;
  }
}

/** Why the llama.cpp engine cannot run here (the optional dependency is absent), or null. Starts nothing heavy: a module lookup. */
export function llamaCppUnavailable(env: NodeJS.ProcessEnv = process.env): string | null {
  const moduleName = env.RHO_LLAMA_CPP_MODULE?.trim() || LLAMA_CPP_PACKAGE;
  try {
    createRequire(import.meta.url).resolve(moduleName);
    return null;
  } catch {
    return `${moduleName} is not installed`;
  }
}

/**
 * Open a GGUF file, or a checkpoint directory (converted first to a temporary GGUF that keeps its
 * stored dtype: F32, F16 or BF16), in llama.cpp. Cheap checks first: the file's header (not GGUF,
 * truncated), then the optional dependency, then the architecture, then loading.
 */
export async function openLlamaCppLm(
  path: string,
  opts: OpenOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpenedCheckpoint & { lm: LlamaCppLm }> {
  let file = path;
  let cleanup = () => {};
  let tokenizerPath: string | undefined;
  let header: GgufHeader;
  const isDir = statSync(path).isDirectory();
  if (isDir) {
    const plan = planCheckpoint(path); // every check of the directory before the conversion
    tokenizerPath = plan.tokenizerPath;
    const dir = mkdtempSync(join(tmpdir(), 'rho-gguf-'));
    const drop = () => rmSync(dir, { recursive: true, force: true });
    process.once('exit', drop);
    cleanup = () => {
      drop();
      process.removeListener('exit', drop);
    };
    file = join(dir, 'model.gguf');
    try {
      convertToGguf(path, { type: losslessType(plan.weightDtype), out: file });
      header = readGgufHeader(file);
    } catch (e) {
      cleanup();
      throw e;
    }
  } else {
    header = readGgufHeader(file);
  }
  let worker: SyncWorker;
  let info: InitInfo;
  try {
    ({ worker, info } = await startWorker(opts, env));
  } catch (e) {
    cleanup();
    throw e;
  }
  try {
    checkArchitecture(header, info.architectures.length ? info.architectures : undefined);
    const config = configFromGguf(header);
    const bytes = statSync(file).size;
    opts.onLoadProgress?.(0, bytes);
    const loaded = await worker.callAsync<{ gpuLayers: number }>('load', { path: file, gpuLayers: 'auto' }, (event, value) => {
      if (event === 'progress') opts.onLoadProgress?.(Math.round((value as number) * bytes), bytes);
    });
    opts.onLoadProgress?.(bytes, bytes);
    const weights = dominantWeightType(header);
    const fp32 = weights === 'F32';
    // F32 weights keep F32 keys and values (llama.cpp's F16 cache alone moves logits by ~2e-3);
    // otherwise llama.cpp's default F16 cache
    const kvType = fp32 ? 'F32' : 'F16';
    // A small model gains nothing from a second thread, and llama.cpp's threads spin at each
    // barrier: on a busy machine (CI, shared hosts) two threads made a tiny model's steps take
    // 1-2 s instead of 0.5 ms. RHO_THREADS overrides.
    const threads = info.threads > 0 && Number(env.RHO_THREADS) > 0 ? info.threads : parameterCount(config) < SMALL_MODEL_PARAMS ? 1 : info.threads;
    const where = info.gpu
      ? `GPU ${info.gpu}${info.gpuNames.length ? ` (${info.gpuNames.join(', ')})` : ''}, ${loaded.gpuLayers} of ${config.numHiddenLayers + 1} layers offloaded`
      : 'CPU';
    const description = `llama.cpp engine (node-llama-cpp ${info.version}), ${weights} weights, ${kvType} KV cache, ${where}, ${threads} thread${threads > 1 ? 's' : ''}, CPU features ${cpuFeatures(info.systemInfo) || 'none reported'}`;
    const hasTokenizer = header.metadata.get('rho.tokenizer') !== 'none';
    const addBos = header.metadata.get('tokenizer.ggml.add_bos_token') === true;
    const lm = new LlamaCppLm(config, worker, fp32 ? 'fp32' : 'bf16', description, kvType, threads, hasTokenizer, addBos, cleanup);
    return {
      lm,
      tokenizerPath,
      textCodec: !isDir && hasTokenizer ? lm.textCodec(path, vocabDecoder(header)) : undefined,
      weightDtype: weights,
      weightBytes: bytes,
    };
  } catch (e) {
    try {
      worker.call('dispose', {});
    } catch {
      // the model may not have loaded; the worker goes either way
    }
    worker.close();
    cleanup();
    throw e;
  }
}

export { isGgufFile };
