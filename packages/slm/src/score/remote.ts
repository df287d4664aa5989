import { RhoError, type CausalLm } from '@rho/core';
import { batchLosses, type TokenScorer } from './run.ts';

/** A batch of windows to score: ids [B, T], mask 1 = real token (right padding). */
export interface WindowBatch {
  ids: Int32Array;
  mask: ArrayLike<number>;
  batchSize: number;
  seqLen: number;
}

/** Where reference losses come from: a local model or a server. Returns [B, T−1], 0 on padding. */
export interface WindowScorer {
  lossesOf(batch: WindowBatch): Promise<Float32Array>;
}

/** A model in this process being trained (tfjs tensors in, tensors out). */
export function localScorer(model: TokenScorer): WindowScorer {
  return { lossesOf: async (b) => batchLosses(model, b.ids, b.mask, b.batchSize, b.seqLen) };
}

/** The real tokens of each window of a batch (mask 1 from the start, then right padding). */
export function windowRows(b: WindowBatch): number[][] {
  return Array.from({ length: b.batchSize }, (_, r) => {
    const ids: number[] = [];
    for (let t = 0; t < b.seqLen && b.mask[r * b.seqLen + t]; t++) ids.push(b.ids[r * b.seqLen + t]!);
    return ids;
  });
}

/**
 * A reference checkpoint opened on any engine (`pnpm slm score --ref <ckpt>`): each window's real
 * tokens go through `lm.tokenLosses` unpadded, so padding never reaches the model.
 */
export function causalLmScorer(lm: Pick<CausalLm, 'tokenLosses'>): WindowScorer {
  return {
    lossesOf: async (b) => {
      const T1 = b.seqLen - 1;
      const out = new Float32Array(b.batchSize * T1);
      lm.tokenLosses(windowRows(b)).forEach((losses, r) => out.set(losses.subarray(0, T1), r * T1));
      return out;
    },
  };
}

export interface ServerScorerOptions {
  /** Base URL such as http://127.0.0.1:8000/v1. */
  url: string;
  model: string;
  concurrency?: number;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

/**
 * Reference losses from an OpenAI-compatible `/v1/completions` server (vLLM, llama.cpp server,
 * SGLang…): each window goes as a prompt of token ids with `echo: true, logprobs: 0`, and the
 * prompt's own per-token log-probabilities come back in `choices[0].logprobs.token_logprobs`
 * (the first is null). The server must use the corpus's tokenizer: ids are sent as they are.
 */
export class ServerScorer implements WindowScorer {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  constructor(private readonly o: ServerScorerOptions) {
    this.base = o.url.replace(/\/+$/, '').replace(/(?<!\/v1)$/, '/v1');
    this.fetchImpl = o.fetchImpl ?? fetch;
  }

  async lossesOf(b: WindowBatch): Promise<Float32Array> {
    const T1 = b.seqLen - 1;
    const out = new Float32Array(b.batchSize * T1);
    const row = async (r: number) => {
      const ids: number[] = [];
      for (let t = 0; t < b.seqLen && b.mask[r * b.seqLen + t]; t++) ids.push(b.ids[r * b.seqLen + t]!);
      if (ids.length < 2) return;
      const lps = await this.promptLogprobs(ids);
      for (let t = 1; t < ids.length; t++) out[r * T1 + t - 1] = -lps[t]!;
    };
    // A few requests in flight at a time: enough to keep a server busy, not enough to flood it.
    const width = this.o.concurrency ?? 4;
    for (let r0 = 0; r0 < b.batchSize; r0 += width) {
      await Promise.all(Array.from({ length: Math.min(width, b.batchSize - r0) }, (_, i) => row(r0 + i)));
    }
    return out;
  }

  private async promptLogprobs(ids: number[]): Promise<number[]> {
    const url = `${this.base}/completions`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // max_tokens 1: some servers refuse 0; the generated token's logprob is ignored.
        body: JSON.stringify({ model: this.o.model, prompt: ids, max_tokens: 1, temperature: 0, echo: true, logprobs: 0 }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 120_000),
      });
    } catch (e) {
      throw new RhoError('RUNTIME', `scoring server ${this.base} unreachable: ${(e as Error).message}`, { hint: 'start an OpenAI-compatible server with echo/logprobs support (e.g. vLLM)' }, { cause: e });
    }
    if (!res.ok) throw new RhoError('RUNTIME', `scoring request failed: HTTP ${res.status} ${(await res.text().catch(() => '')).slice(0, 200)}`, { file: url });
    const json = (await res.json()) as { choices?: Array<{ logprobs?: { token_logprobs?: Array<number | null> } }> };
    const lps = json.choices?.[0]?.logprobs?.token_logprobs;
    if (!Array.isArray(lps) || lps.length < ids.length || lps.slice(1, ids.length).some((x) => typeof x !== 'number')) {
      throw new RhoError('RUNTIME', 'server did not return the prompt log-probabilities', {
        file: url,
        expected: `choices[0].logprobs.token_logprobs with ≥ ${ids.length} entries`,
        got: JSON.stringify(json).slice(0, 200),
        hint: 'the server must support echo: true with logprobs (vLLM does)',
      });
    }
    return lps as number[];
  }
}
