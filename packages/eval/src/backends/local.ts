import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError } from '@rho/core/base';
import type { Completion, CompletionModel, CompletionOptions } from './types.ts';

// Types only: the module itself is imported when a local model is opened.
import type { CausalLm, EngineChoice, Precision, Tokenizer } from '@rho/core';

export interface LocalModelOptions {
  /** The name reported to runs and servers (default: the directory). */
  name?: string;
  /** Prompts decoded together (sorted by length first, so batches pad little). */
  batchSize?: number;
  /** Called after each batch with the number of completions finished so far. */
  onProgress?: (done: number, total: number) => void;
  /** Which engine runs the model (default: $RHO_ENGINE, else auto). */
  engine?: EngineChoice;
  precision?: Precision;
  /** Progress while the weights load (bytes done, bytes in all). */
  onLoadProgress?: (done: number, total: number) => void;
}

/**
 * A Hugging Face checkpoint directory (config.json, safetensors weights, tokenizer.json) as a
 * CompletionModel, through core's CausalLm (the native engine, or tfjs). core (and TensorFlow.js
 * with it) is loaded only when a local model is opened, so HTTP runs and grading never pay for it.
 */
export class LocalCheckpointModel implements CompletionModel {
  private warnedTruncation = false;

  private constructor(
    readonly name: string,
    readonly lm: CausalLm,
    private readonly tokenizer: Tokenizer,
    private opts: LocalModelOptions,
  ) {}

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
    return new LocalCheckpointModel(opts.name ?? dir, lm, tokenizer, opts);
  }

  /** One line naming what runs the model (engine, precision, threads), for logs and metrics. */
  get description(): string {
    return this.lm.description;
  }

  /** Token ids of a prompt as the model sees it (BOS as the tokenizer's post-processor adds it). */
  encode(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skipSpecial: true });
  }

  /** Prompts decoded together from now on (benchmarks sweep it). */
  setBatchSize(n: number): void {
    this.opts.batchSize = n;
  }

  async complete(prompts: string[], opts: CompletionOptions): Promise<Completion[]> {
    const maxPos = this.lm.config.maxPositionEmbeddings;
    const maxNew = Math.max(0, Math.min(opts.maxTokens, maxPos - 1));
    const ids = prompts.map((p) => {
      const enc = this.encode(p);
      const room = Math.max(1, maxPos - maxNew);
      if (enc.length <= room) return enc;
      if (!this.warnedTruncation) {
        process.stderr.write(`warning: prompts longer than ${room} tokens are cut from the left to fit max_position_embeddings=${maxPos} with ${maxNew} new tokens\n`);
        this.warnedTruncation = true;
      }
      return enc.slice(enc.length - room);
    });
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
          stop: { strings: opts.stop, decode: (t) => this.tokenizer.decode(t, { skipSpecial: true }) },
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
    this.lm.dispose();
  }
}
