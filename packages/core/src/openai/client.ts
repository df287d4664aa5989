import OpenAI from 'openai';
import pLimit from 'p-limit';
import { RhoError } from '../errors.ts';
import { normalizeBaseUrl } from './base-url.ts';
import { backoffDelayMs, describeFailure, isRetryable } from './retry.ts';

/**
 * The project's one client for OpenAI-compatible servers (vLLM, llama.cpp server, TGI, SGLang and
 * our own `pnpm serve`): eval generation and slm scoring both go through it. The official `openai`
 * SDK carries each request (JSON, server-sent events, error bodies); retrying is done here rather
 * than in the SDK so that a retry may go to another server. One prompt per request: a failure
 * costs one sample, and requests spread round-robin over the servers under one concurrency bound.
 */
export interface OpenAIClientOptions {
  /** Base URLs such as http://127.0.0.1:8000/v1 (a trailing /v1 is added when missing). */
  urls: string[];
  model: string;
  /** Requests in flight at most, over all servers (default 8 per server). */
  concurrency?: number;
  /** Attempts per request, the first included. */
  maxAttempts?: number;
  requestTimeoutMs?: number;
  /** First backoff delay; doubles each retry, with jitter. */
  backoffMs?: number;
  /** Sent as the bearer token (default $OPENAI_API_KEY; local servers ignore it). */
  apiKey?: string;
  fetch?: typeof fetch;
}

export interface SamplingRequest {
  maxTokens: number;
  temperature: number;
  topP?: number;
  stop?: string[];
  seed?: number;
}

export interface CompletionRequest extends SamplingRequest {
  /** Text, or token ids the server feeds as they are. */
  prompt: string | number[];
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest extends SamplingRequest {
  messages: ChatMessage[];
}

export interface CompletionResult {
  text: string;
  finishReason: 'stop' | 'length';
  /** Generated tokens, when the server reports usage. */
  tokens?: number;
}

export interface StreamPiece {
  text: string;
  /** On the last piece, where the server reports usage. */
  completionTokens?: number;
}

export class OpenAIClient {
  private readonly urls: string[];
  private readonly sdks: OpenAI[];
  private next = 0;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  constructor(private readonly options: OpenAIClientOptions) {
    if (options.urls.length === 0) throw new RhoError('BAD_CONFIG', 'no server URL given', { field: '--model' });
    this.urls = options.urls.map((u) => normalizeBaseUrl(u));
    this.sdks = this.urls.map(
      (baseURL) =>
        new OpenAI({
          baseURL,
          apiKey: options.apiKey ?? process.env.OPENAI_API_KEY ?? 'none',
          maxRetries: 0,
          timeout: options.requestTimeoutMs ?? 600_000,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        }),
    );
    this.maxAttempts = options.maxAttempts ?? 6;
    this.backoffMs = options.backoffMs ?? 500;
    this.limit = pLimit(options.concurrency ?? 8 * this.urls.length);
  }

  get name(): string {
    return this.options.model;
  }

  /** Fails fast, with one clear error, when a server does not answer `/models`. */
  async checkReachable(): Promise<void> {
    for (const [i, sdk] of this.sdks.entries()) {
      try {
        await sdk.models.list({ timeout: 10_000 });
      } catch (e) {
        throw new RhoError('RUNTIME', `server ${this.urls[i]} is unreachable: ${describeFailure(e)}`, {
          hint: 'start the server (e.g. `pnpm serve ./ckpt --port 8000`) or check --model',
        });
      }
    }
  }

  complete(req: CompletionRequest): Promise<CompletionResult> {
    return this.request('completion', async (sdk) => {
      const r = await sdk.completions.create({ model: this.name, prompt: req.prompt, ...sampling(req), n: 1 });
      const c = r.choices[0];
      if (!c) throw malformed('completion', r);
      return { text: c.text, finishReason: c.finish_reason === 'length' ? 'length' : 'stop', tokens: r.usage?.completion_tokens };
    });
  }

  chat(req: ChatRequest): Promise<CompletionResult> {
    return this.request('chat', async (sdk) => {
      const r = await sdk.chat.completions.create({ model: this.name, messages: req.messages, ...sampling(req), n: 1 });
      const c = r.choices[0];
      if (!c) throw malformed('chat', r);
      return { text: c.message.content ?? '', finishReason: c.finish_reason === 'length' ? 'length' : 'stop', tokens: r.usage?.completion_tokens };
    });
  }

  /**
   * The log-probability of each prompt token given those before it (the first, with nothing
   * before it, is null): `echo` with `logprobs` and no new tokens, as lm-evaluation-harness asks
   * vLLM. Token ids are sent as they are, so the server must use the caller's tokenizer.
   */
  promptLogprobs(ids: number[]): Promise<Array<number | null>> {
    return this.request('scoring', async (sdk) => {
      const r = await sdk.completions.create({ model: this.name, prompt: ids, max_tokens: 0, temperature: 0, echo: true, logprobs: 0 });
      const lps = r.choices[0]?.logprobs?.token_logprobs;
      // a server that generates a token anyway (some refuse max_tokens 0) appends its entry: ignored
      if (!Array.isArray(lps) || lps.length < ids.length || lps.slice(1, ids.length).some((x) => typeof x !== 'number')) {
        throw new RhoError('RUNTIME', 'server did not return the prompt log-probabilities', {
          expected: `choices[0].logprobs.token_logprobs with ≥ ${ids.length} entries`,
          got: JSON.stringify(r).slice(0, 200),
          hint: 'the server must support echo: true with logprobs (vLLM and `pnpm serve` do)',
        });
      }
      return [null, ...(lps.slice(1, ids.length) as number[])];
    });
  }

  /**
   * One completion as the server streams it: its text piece by piece, then (where the server
   * reports usage) a last piece with no text and the count of generated tokens. A request is
   * retried only until its stream opens: pieces already delivered cannot be taken back.
   */
  async *stream(req: CompletionRequest | ChatRequest): AsyncGenerator<StreamPiece> {
    const release = await this.acquire();
    try {
      const usage = { stream_options: { include_usage: true } };
      const pieces = await this.attempts('stream', async (sdk): Promise<AsyncIterable<StreamPiece>> => {
        if ('messages' in req) {
          const s = await sdk.chat.completions.create({ model: this.name, messages: req.messages, ...sampling(req), n: 1, stream: true, ...usage });
          return mapStream(s, (c) => ({ text: c.choices[0]?.delta.content ?? '', completionTokens: c.usage?.completion_tokens }));
        }
        const s = await sdk.completions.create({ model: this.name, prompt: req.prompt, ...sampling(req), n: 1, stream: true, ...usage });
        return mapStream(s, (c) => ({ text: c.choices[0]?.text ?? '', completionTokens: c.usage?.completion_tokens }));
      });
      for await (const piece of pieces) if (piece.text || piece.completionTokens !== undefined) yield piece;
    } finally {
      release();
    }
  }

  /** A slot of the concurrency bound, held until `release` is called (for streams). */
  private acquire(): Promise<() => void> {
    return new Promise((got) => void this.limit(() => new Promise<void>((release) => got(release))));
  }

  private request<T>(what: string, call: (sdk: OpenAI) => Promise<T>): Promise<T> {
    return this.limit(() => this.attempts(what, call));
  }

  private async attempts<T>(what: string, call: (sdk: OpenAI) => Promise<T>): Promise<T> {
    let last = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      // round robin per attempt: a dead server's requests move on to the others
      const i = this.next++ % this.sdks.length;
      try {
        return await call(this.sdks[i]!);
      } catch (e) {
        if (e instanceof RhoError) throw e;
        last = `${this.urls[i]}: ${describeFailure(e)}`;
        if (!isRetryable(e)) throw new RhoError('RUNTIME', `${what} request failed: ${last}`, { hint: 'check --model-name and the server log' }, { cause: e });
      }
      if (attempt < this.maxAttempts) await new Promise((r) => setTimeout(r, backoffDelayMs(attempt, this.backoffMs)));
    }
    throw new RhoError('RUNTIME', `${what} request failed after ${this.maxAttempts} attempts: ${last}`, {
      hint: 'is the server overloaded or down? see its log',
    });
  }
}

function sampling(r: SamplingRequest) {
  return {
    max_tokens: r.maxTokens,
    temperature: r.temperature,
    top_p: r.topP ?? 1,
    ...(r.stop?.length ? { stop: r.stop } : {}),
    ...(r.seed !== undefined ? { seed: r.seed } : {}),
  };
}

async function* mapStream<C, T>(chunks: AsyncIterable<C>, f: (c: C) => T): AsyncGenerator<T> {
  for await (const c of chunks) yield f(c);
}

function malformed(what: string, body: unknown): RhoError {
  return new RhoError('RUNTIME', `the server's ${what} answer has no choices`, { got: JSON.stringify(body).slice(0, 200) });
}
