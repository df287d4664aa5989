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
}

export interface Completion {
  text: string;
  finishReason: 'stop' | 'length';
  tokens?: number;
}

export interface CompletionModel {
  readonly name: string;
  /** One completion per prompt, in order. */
  complete(prompts: string[], opts: CompletionOptions): Promise<Completion[]>;
  dispose?(): Promise<void>;
}
