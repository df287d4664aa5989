import type { Completion, CompletionModel, CompletionOptions } from './types.ts';

/**
 * A model that writes what a script says, cut at the first stop string as a real backend would
 * (the stop string itself not included). For plumbing tests of the runners; records every call.
 */
export class ScriptedModel implements CompletionModel {
  readonly calls: Array<{ prompts: string[]; opts: CompletionOptions }> = [];

  constructor(
    private readonly script: (prompt: string) => string,
    readonly name = 'scripted',
  ) {}

  async complete(prompts: string[], opts: CompletionOptions): Promise<Completion[]> {
    this.calls.push({ prompts: [...prompts], opts });
    return prompts.map((p) => {
      const full = this.script(p);
      let cut = full.length;
      for (const s of opts.stop) {
        const at = full.indexOf(s);
        if (at >= 0 && at < cut) cut = at;
      }
      return { text: full.slice(0, cut), finishReason: 'stop' };
    });
  }
}
