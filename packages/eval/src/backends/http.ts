import { OpenAIClient, type OpenAIClientOptions } from '@rho/core/openai';
import type { Completion, CompletionModel, CompletionOptions } from './types.ts';

/**
 * Which OpenAI endpoint carries a prompt. `completions` sends the prompt text as it is (what the
 * harness does, and what base models need); `chat` sends it as one user message, for servers that
 * serve only chat and for instruct models, whose chat template then frames it.
 */
export type ApiKind = 'completions' | 'chat';
export const API_KINDS: readonly ApiKind[] = ['completions', 'chat'];

/** One or more OpenAI-compatible servers as a CompletionModel. */
export class HttpCompletionModel implements CompletionModel {
  private readonly client: OpenAIClient;

  constructor(
    options: OpenAIClientOptions,
    private readonly api: ApiKind = 'completions',
  ) {
    this.client = new OpenAIClient(options);
  }

  get name(): string {
    return this.client.name;
  }

  checkReachable(): Promise<void> {
    return this.client.checkReachable();
  }

  complete(prompts: string[], opts: CompletionOptions): Promise<Completion[]> {
    return Promise.all(
      prompts.map((prompt, i) => {
        // each problem's own seed, so a sample does not depend on how the run was batched
        const sampling = { maxTokens: opts.maxTokens, temperature: opts.temperature, topP: opts.topP, stop: opts.stop, seed: opts.seeds?.[i] ?? opts.seed };
        return this.api === 'chat'
          ? this.client.chat({ messages: [{ role: 'user', content: prompt }], ...sampling })
          : this.client.complete({ prompt, ...sampling });
      }),
    );
  }
}
