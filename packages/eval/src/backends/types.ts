// types only: grading and HTTP runs never load core
import type { SchedulerStats } from '@rho/core';

/**
 * What the runners need from a model: batched completions with stop strings. Local checkpoints
 * and OpenAI-compatible servers both implement it; tests use a scripted model.
 */
export interface CompletionOptions {
  /** Generation ends before the first of these strings, which is not part of the text. */
  stop: string[];
  maxTokens: number;
  temperature: number;
  topP?: number;
  seed?: number;
  /**
   * One seed per prompt, overriding `seed`: each prompt is sampled as it would be alone with its
   * seed, so its completion does not depend on the batch, the order or the parallelism it ran in.
   */
  seeds?: readonly number[];
}

export interface Completion {
  text: string;
  finishReason: 'stop' | 'length';
  tokens?: number;
}

/** What a continuously batching model has done so far (core's ContinuousBatcher counters). */
export type SchedulerCounters = SchedulerStats;

export interface CompletionModel {
  readonly name: string;
  /** One completion per prompt, in order. */
  complete(prompts: string[], opts: CompletionOptions): Promise<Completion[]>;
  /**
   * Batches calls as they come (continuous batching): callers may issue one small call per problem
   * and keep many in flight instead of gathering batches themselves.
   */
  readonly continuous?: boolean;
  /** The prompts about to be run: the model may compute their shared token prefix once. */
  sharePrefix?(prompts: string[]): Promise<void>;
  /** Counters of the model's scheduler, when it has one. */
  counters?(): SchedulerCounters;
  dispose?(): Promise<void>;
}

/** One sequence to decode from token ids, as the server asks for it. */
export interface GenerationRequest {
  prompt: number[];
  maxTokens: number;
  temperature: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  /** Each new token with the logits it was chosen from (a view valid only during the call). */
  onToken?: (token: number, logits: Float32Array) => void;
  /** Aborting drops the sequence and frees what it held (a client that went away). */
  signal?: AbortSignal;
}

export interface GenerationResult {
  tokens: number[];
  /** The new text, cut before a stop string. */
  text: string;
  finishReason: 'stop' | 'length';
}

/**
 * What `pnpm serve` needs of a model: token ids in and out, streaming, and the logits of whole
 * sequences (prompt log-probabilities). A local checkpoint implements it.
 */
export interface TokenModel {
  readonly name: string;
  /** Positions the model attends over (max_position_embeddings). */
  readonly contextLength: number;
  readonly vocabSize: number;
  /** With `special: false`, no BOS/EOS is added (text that already holds them, like a rendered chat). */
  encode(text: string, opts?: { special?: boolean }): number[];
  decode(ids: number[]): string;
  /** One token as text, special tokens included (`<s>`), for log-probability listings. */
  tokenText(id: number): string;
  generate(req: GenerationRequest): Promise<GenerationResult>;
  /** Logits of every position of each row, [T, V] per row. */
  promptLogits(rows: number[][]): Promise<Float32Array[]>;
}
