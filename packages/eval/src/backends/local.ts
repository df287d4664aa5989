import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError } from '@rho/core/base';
import { defaultKvBudget } from './kv-budget.ts';
import type { Completion, CompletionModel, CompletionOptions, SchedulerCounters } from './types.ts';

// Types only: the module itself is imported when a local model is opened.
import type { CausalLm, ContinuousBatcher, EngineChoice, Precision, Tokenizer } from '@rho/core';

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
  /** Progress while the weights load (bytes done, bytes in all). */
  onLoadProgress?: (done: number, total: number) => void;
}

/** Sequences a native model decodes together at most unless told. */
export const DEFAULT_MAX_BATCH = 64;

/**
 * A Hugging Face checkpoint directory (config.json, safetensors weights, tokenizer.json) as a
 * CompletionModel, through core's CausalLm (the native engine, or tfjs). core (and TensorFlow.js
 * with it) is loaded only when a local model is opened, so HTTP runs and grading never pay for it.
 */
export class LocalCheckpointModel implements CompletionModel {
  private warnedTruncation = false;
  /** Continuous batching, when the native engine runs the model. */
  private batcher: ContinuousBatcher | null;

  private constructor(
    readonly name: string,
    readonly lm: CausalLm,
    private readonly tokenizer: Tokenizer,
    private opts: LocalModelOptions,
    private readonly makeBatcher: ((maxBatch: number) => ContinuousBatcher) | null,
  ) {
    this.batcher = makeBatcher?.(Math.max(1, opts.batchSize ?? DEFAULT_MAX_BATCH)) ?? null;
  }

  get continuous(): boolean {
    return this.batcher !== null;
  }

  static async open(dir: string, opts: LocalModelOptions = {}): Promise<LocalCheckpointModel> {
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
    const { lm } = await core.openCausalLm(dir, { engine: opts.engine, precision: opts.precision, onLoadProgress: opts.onLoadProgress });
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
    return s ? { ...s } : { promptTokensComputed: 0, promptTokensCached: 0, prefixTokens: 0, generatedTokens: 0, steps: 0, rowsInSteps: 0, peakKvBytes: 0, busySeconds: 0 };
  }

  /** The shared token prefix of the prompts (each tokenized whole), computed once and reused. */
  async sharePrefix(prompts: string[]): Promise<void> {
    if (!this.batcher || this.opts.prefixCache === false) return;
    this.batcher.setPrefix(prompts.map((p) => this.fit(p, 0)));
  }

  /** Token ids of a prompt as the model sees it (BOS as the tokenizer's post-processor adds it). */
  encode(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skipSpecial: true });
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
      process.stderr.write(`warning: prompts longer than ${room} tokens are cut from the left to fit max_position_embeddings=${maxPos} with ${maxNew} new tokens\n`);
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
          return { text: r.text ?? this.tokenizer.decode(r.tokens, { skipSpecial: true }), finishReason: r.stopReason === 'length' ? 'length' : 'stop', tokens: r.tokens.length } satisfies Completion;
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
