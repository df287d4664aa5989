import type { OpenAIClient } from '@rho/core/openai';
import { windowRows, type WindowBatch, type WindowScorer } from './window-scorer.ts';

/**
 * Reference losses from an OpenAI-compatible server (vLLM, `pnpm serve`…): each window goes as a
 * prompt of token ids and its per-token log-probabilities come back (the client's
 * `promptLogprobs`); the client bounds the requests in flight and retries. The server must use the
 * corpus's tokenizer: ids are sent as they are.
 */
export function serverScorer(client: Pick<OpenAIClient, 'promptLogprobs'>): WindowScorer {
  return {
    lossesOf: async (b: WindowBatch) => {
      const T1 = b.seqLen - 1;
      const out = new Float32Array(b.batchSize * T1);
      await Promise.all(
        windowRows(b).map(async (ids, r) => {
          if (ids.length < 2) return;
          const lps = await client.promptLogprobs(ids);
          for (let t = 1; t < ids.length; t++) out[r * T1 + t - 1] = -lps[t]!;
        }),
      );
      return out;
    },
  };
}
