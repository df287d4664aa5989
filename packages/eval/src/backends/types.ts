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
