import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError } from '@rho/core/base';
import { defaultKvBudget } from './kv-budget.ts';
import { TickBatcher } from './tick-batcher.ts';
import type { Completion, CompletionModel, CompletionOptions, GenerationRequest, GenerationResult, SchedulerCounters, TokenModel } from './types.ts';

// Types only: the module itself is imported when a local model is opened.
import type { CausalLm, ContinuousBatcher, EngineChoice, GpuChoice, Precision, TextCodec } from '@rho/core';

export interface LocalModelOptions {
  /** The name reported to runs and servers (default: the directory). */
  name?: string;
  /**
   * Sequences decoded together at most: with the native engine a continuous batch (a finished
   * sequence's row is refilled at once) bounded also by `kvMemBytes`; with tfjs, static batches of
   * prompts sorted by length.
   */
  batchSize?: number;
  /** Key/value memory the running sequences may hold (native engine; default from free memory). */
  kvMemBytes?: number;
  /** Compute the shared token prefix of a dataset's prompts once (native engine; default true). */
  prefixCache?: boolean;
  /** Called after each batch with the number of completions finished so far. */
  onProgress?: (done: number, total: number) => void;
  /** Which engine runs the model (default: $RHO_ENGINE, else auto). */
  engine?: EngineChoice;
  precision?: Precision;
  /** llama.cpp engine: where it runs. */
  gpu?: GpuChoice;
  /** Progress while the weights load (bytes done, bytes in all). */
  onLoadProgress?: (done: number, total: number) => void;
}

/** Sequences a native model decodes together at most unless told. */
export const DEFAULT_MAX_BATCH = 64;

/**
 * A Hugging Face checkpoint directory (config.json, safetensors weights, tokenizer.json), or a GGUF
 * file, as a CompletionModel, through core's CausalLm (the native engine, tfjs or llama.cpp). core (and TensorFlow.js
 * with it) is loaded only when a local model is opened, so HTTP runs and grading never pay for it.
 */
export class LocalCheckpointModel implements CompletionModel, TokenModel {
  private warnedTruncation = false;
  /** tfjs: single requests that arrive together, decoded as one static batch. */
  private readonly staticBatches = new TickBatcher<GenerationRequest, GenerationResult>((_, reqs) => this.generateStatic(reqs), 16);
  /** Prompt-logit requests that arrive together share one forward pass. */
  private readonly logitBatches = new TickBatcher<number[], Float32Array>((_, rows) => this.lm.logits(rows), 16);
  /** Continuous batching, when the native engine runs the model. */
  private batcher: ContinuousBatcher | null;

  private constructor(
    readonly name: string,
    readonly lm: CausalLm,
    private readonly tokenizer: TextCodec,
    private opts: LocalModelOptions,
    private readonly makeBatcher: ((maxBatch: number) => ContinuousBatcher) | null,
  ) {
    this.batcher = makeBatcher?.(Math.max(1, opts.batchSize ?? DEFAULT_MAX_BATCH)) ?? null;
  }

  get continuous(): boolean {
    return this.batcher !== null;
  }

  static async open(dir: string, opts: LocalModelOptions = {}): Promise<LocalCheckpointModel> {
    if (existsSync(dir) && statSync(dir).isFile()) {
      // a GGUF file carries its tokenizer: llama.cpp's encoding, decoded from the file's vocabulary
      const core = await import('@rho/core');
      const opened = await core.openCausalLm(dir, { engine: opts.engine, precision: opts.precision, gpu: opts.gpu, onLoadProgress: opts.onLoadProgress });
      if (!opened.textCodec) {
        opened.lm.dispose();
        throw new RhoError('NOT_FOUND', 'this GGUF file has no tokenizer, so it cannot run on text', {
          file: dir,
          hint: 'convert a checkpoint directory that holds tokenizer.json',
        });
      }
      return new LocalCheckpointModel(opts.name ?? dir, opened.lm, opened.textCodec, opts, null);
    }
    const tok = join(dir, 'tokenizer.json');
    if (existsSync(join(dir, 'config.json')) && !existsSync(tok)) {
      throw new RhoError('NOT_FOUND', 'checkpoint directory has no tokenizer.json', {
        file: dir,
        hint: 'copy the tokenizer.json the model was trained with into the directory (`pnpm core init --tokenizer` writes one)',
      });
    }
    const core = await import('@rho/core');
    // the tokenizer first: a bad tokenizer.json fails before gigabytes of weights load
    const tokenizer = core.Tokenizer.fromFile(tok);
    const { lm } = await core.openCausalLm(dir, { engine: opts.engine, precision: opts.precision, gpu: opts.gpu, onLoadProgress: opts.onLoadProgress });
    const kvBudgetBytes = opts.kvMemBytes ?? defaultKvBudget();
    const makeBatcher = lm instanceof core.NativeLm ? (maxBatch: number) => new core.ContinuousBatcher(lm, { maxBatch, kvBudgetBytes }) : null;
    return new LocalCheckpointModel(opts.name ?? dir, lm, tokenizer, opts, makeBatcher);
  }

  /** One line naming what runs the model (engine, precision, threads, batching), for logs and metrics. */
  get description(): string {
    if (!this.batcher) return this.lm.description;
    const prefix = this.opts.prefixCache === false ? 'no prefix cache' : 'shared prefix cache';
    return `${this.lm.description}, continuous batching (up to ${this.opts.batchSize ?? DEFAULT_MAX_BATCH} sequences), ${prefix}`;
  }

  counters(): SchedulerCounters {
    const s = this.batcher?.stats;
    return s
      ? { ...s }
      : { promptTokensComputed: 0, promptTokensCached: 0, prefixTokens: 0, generatedTokens: 0, steps: 0, rowsInSteps: 0, peakKvBytes: 0, busySeconds: 0 };
  }

  /** The shared token prefix of the prompts (each tokenized whole), computed once and reused. */
  async sharePrefix(prompts: string[]): Promise<void> {
    if (!this.batcher || this.opts.prefixCache === false) return;
    this.batcher.setPrefix(prompts.map((p) => this.fit(p, 0)));
  }

  /**
   * Token ids of a prompt as the model sees it (BOS as the tokenizer's post-processor adds it);
   * `special: false` adds none, for text that already holds them (a rendered chat template).
   */
  encode(text: string, opts: { special?: boolean } = {}): number[] {
    return opts.special === false ? this.tokenizer.encode(text, { addBos: false, addEos: false }) : this.tokenizer.encode(text);
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skipSpecial: true });
  }

  get contextLength(): number {
    return this.lm.config.maxPositionEmbeddings;
  }

  get vocabSize(): number {
    return this.lm.config.vocabSize;
  }

  tokenText(id: number): string {
    return this.tokenizer.decode([id]);
  }

  promptLogits(rows: number[][]): Promise<Float32Array[]> {
    this.lm.checkIds(rows);
    return Promise.all(rows.map((r) => this.logitBatches.submit('', r)));
  }

  /** One sequence from token ids, its tokens streamed to `onToken` as they come (native engine). */
  async generate(req: GenerationRequest): Promise<GenerationResult> {
    const stop = req.stop?.length ? { strings: req.stop, decode: (t: number[]) => this.decode(t) } : undefined;
    if (!this.batcher) {
      if (req.signal?.aborted) throw new RhoError('RUNTIME', 'the sequence was cancelled', { cancelled: true });
      const key = JSON.stringify([req.maxTokens, req.temperature, req.topP ?? 1, req.stop ?? [], req.seed ?? 0]);
      return this.staticBatches.submit(key, req);
    }
    const r = await this.batcher.submit({
      prompt: req.prompt,
      maxNewTokens: req.maxTokens,
      temperature: req.temperature,
      topP: req.topP ?? 1,
      seed: req.seed ?? 0,
      stop,
      onToken: req.onToken,
      signal: req.signal,
    });
    return { tokens: r.tokens, text: r.text ?? this.decode(r.tokens), finishReason: r.stopReason === 'length' ? 'length' : 'stop' };
  }

  /**
   * tfjs: requests with the same options as one batch; tokens reach `onToken` once the batch ends,
   * with logits recomputed over each whole sequence (tfjs serves small checkpoints only).
   */
  private generateStatic(reqs: GenerationRequest[]): GenerationResult[] {
    const r0 = reqs[0]!;
    const stop = r0.stop?.length ? { strings: r0.stop, decode: (t: number[]) => this.decode(t) } : undefined;
    const res = this.lm.generate(
      reqs.map((r) => r.prompt),
      { maxNewTokens: r0.maxTokens, temperature: r0.temperature, topP: r0.topP ?? 1, seed: r0.seed ?? 0, stop },
    );
    return reqs.map((req, i) => {
      const tokens = res.tokens[i]!;
      if (req.onToken && tokens.length > 0) {
        const v = this.vocabSize;
        const logits = this.lm.logits([[...req.prompt, ...tokens.slice(0, -1)]])[0]!;
        tokens.forEach((t, j) => req.onToken!(t, logits.subarray((req.prompt.length - 1 + j) * v, (req.prompt.length + j) * v)));
      }
      return { tokens, text: res.texts?.[i] ?? this.decode(tokens), finishReason: res.stopReason[i] === 'length' ? 'length' : 'stop' };
    });
  }

  /** Sequences decoded together at most from now on (benchmarks sweep it); call between runs. */
  setBatchSize(n: number): void {
    this.opts.batchSize = n;
    if (this.batcher && this.makeBatcher) {
      this.batcher.close();
      this.batcher = this.makeBatcher(Math.max(1, n));
    }
  }

  /** A prompt's ids, cut from the left (with one warning) to leave room for `maxNew` tokens. */
  private fit(prompt: string, maxNew: number): number[] {
    const maxPos = this.lm.config.maxPositionEmbeddings;
    const enc = this.encode(prompt);
    const room = Math.max(1, maxPos - maxNew);
    if (enc.length <= room) return enc;
    if (!this.warnedTruncation) {
      process.stderr.write(
        `warning: prompts longer than ${room} tokens are cut from the left to fit max_position_embeddings=${maxPos} with ${maxNew} new tokens\n`,
      );
      this.warnedTruncation = true;
    }
    return enc.slice(enc.length - room);
  }

  async complete(prompts: string[], opts: CompletionOptions): Promise<Completion[]> {
    const maxNew = Math.max(0, Math.min(opts.maxTokens, this.lm.config.maxPositionEmbeddings - 1));
    const ids = prompts.map((p) => this.fit(p, maxNew));
    const stop = { strings: opts.stop, decode: (t: number[]) => this.tokenizer.decode(t, { skipSpecial: true }) };
    if (this.batcher) {
      let done = 0;
      return Promise.all(
        ids.map(async (prompt, i) => {
          // each sequence its own generator: the same tokens whatever it is batched with (a prompt
          // with its own seed s: as the single prompt of a call with seed s, as a server runs it)
          const seed = opts.seeds ? Math.imul(opts.seeds[i]!, 1_000_003) >>> 0 : ((opts.seed ?? 0) * 1_000_003 + i) >>> 0;
          const r = await this.batcher!.submit({ prompt, maxNewTokens: maxNew, temperature: opts.temperature, topP: opts.topP ?? 1, seed, stop });
          this.opts.onProgress?.(++done, ids.length);
          return {
            text: r.text ?? this.tokenizer.decode(r.tokens, { skipSpecial: true }),
            finishReason: r.stopReason === 'length' ? 'length' : 'stop',
            tokens: r.tokens.length,
          } satisfies Completion;
        }),
      );
    }
    const order = ids.map((_, i) => i).sort((a, b) => ids[a]!.length - ids[b]!.length);
    const out: Completion[] = new Array(prompts.length);
    const batchSize = Math.max(1, this.opts.batchSize ?? 16);
    for (let s = 0; s < order.length; s += batchSize) {
      const rows = order.slice(s, s + batchSize);
      const res = this.lm.generate(
        rows.map((i) => ids[i]!),
        {
          maxNewTokens: maxNew,
          temperature: opts.temperature,
          topP: opts.topP ?? 1,
          seed: opts.seed ?? 0,
          ...(opts.seeds ? { seeds: rows.map((i) => opts.seeds![i]!) } : {}),
          stop,
        },
      );
      rows.forEach((i, r) => {
        const tokens = res.tokens[r]!;
        out[i] = {
          text: res.texts?.[r] ?? this.tokenizer.decode(tokens, { skipSpecial: true }),
          finishReason: res.stopReason[r] === 'length' ? 'length' : 'stop',
          tokens: tokens.length,
        };
      });
      this.opts.onProgress?.(Math.min(s + batchSize, order.length), order.length);
    }
    return out;
  }

  async dispose(): Promise<void> {
    this.batcher?.close();
    this.lm.dispose();
  }
}
