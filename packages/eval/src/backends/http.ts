import { OpenAICompletionsClient, type OpenAIClientOptions } from './openai.ts';
import type { Completion, CompletionModel, CompletionOptions } from './types.ts';

/** One or more OpenAI-compatible servers as a CompletionModel. */
export class HttpCompletionModel implements CompletionModel {
  private readonly client: OpenAICompletionsClient;

  constructor(options: OpenAIClientOptions) {
    this.client = new OpenAICompletionsClient(options);
  }

  get name(): string {
    return this.client.name;
  }

  checkReachable(): Promise<void> {
    return this.client.checkReachable();
  }

  complete(prompts: string[], opts: CompletionOptions): Promise<Completion[]> {
    return this.client.complete(
      prompts.map((prompt, i) => ({ prompt, maxTokens: opts.maxTokens, temperature: opts.temperature, topP: opts.topP, stop: opts.stop, seed: opts.seeds?.[i] ?? opts.seed })),
    );
  }
}
