import pLimit from 'p-limit';
import { RhoError } from '@rho/core/base';

/**
 * A client for OpenAI-compatible `/v1/completions` servers (vLLM, llama.cpp server, TGI, SGLang,
 * and our own `pnpm serve`). One prompt per request so that a failure costs one sample; requests
 * are spread round-robin over several servers and bounded by a concurrency limit.
 */
export interface OpenAIClientOptions {
  /** Base URLs such as http://127.0.0.1:8000/v1 (a trailing /v1 is added when missing). */
  urls: string[];
  model: string;
  concurrency?: number;
  /** Attempts per request, the first included. */
  maxAttempts?: number;
  requestTimeoutMs?: number;
  /** First backoff delay; doubles each retry, with jitter. */
  backoffMs?: number;
  fetchImpl?: typeof fetch;
}

export interface CompletionRequest {
  prompt: string;
  maxTokens: number;
  temperature: number;
  topP?: number;
  stop?: string[];
  seed?: number;
}

export interface CompletionResult {
  text: string;
  finishReason: 'stop' | 'length';
  tokens?: number;
}

const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

export function normalizeBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RhoError('BAD_CONFIG', `not a URL: ${url}`, { field: '--model', hint: 'give a server as http://HOST:PORT/v1' });
  }
  const path = u.pathname.replace(/\/+$/, '');
  u.pathname = path.endsWith('/v1') ? path : `${path}/v1`;
  return u.toString().replace(/\/+$/, '');
}

export class OpenAICompletionsClient {
  private readonly urls: string[];
  private next = 0;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly opts: Required<Omit<OpenAIClientOptions, 'urls' | 'fetchImpl'>> & { fetchImpl: typeof fetch };

  constructor(options: OpenAIClientOptions) {
    if (options.urls.length === 0) throw new RhoError('BAD_CONFIG', 'no server URL given', { field: '--model' });
    this.urls = options.urls.map(normalizeBaseUrl);
    this.opts = {
      model: options.model,
      concurrency: options.concurrency ?? 8 * this.urls.length,
      maxAttempts: options.maxAttempts ?? 6,
      requestTimeoutMs: options.requestTimeoutMs ?? 600_000,
      backoffMs: options.backoffMs ?? 500,
      fetchImpl: options.fetchImpl ?? fetch,
    };
    this.limit = pLimit(this.opts.concurrency);
  }

  get name(): string {
    return this.opts.model;
  }

  /** Fails fast (one clear error) when no server answers `/models`. */
  async checkReachable(): Promise<void> {
    for (const base of this.urls) {
      try {
        const res = await this.opts.fetchImpl(`${base}/models`, { signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
      } catch (e) {
        throw new RhoError('RUNTIME', `server ${base} is unreachable: ${(e as Error).message}`, {
          hint: 'start the server (e.g. `pnpm serve ./ckpt --port 8000`) or check --model',
        });
      }
    }
  }

  complete(requests: CompletionRequest[]): Promise<CompletionResult[]> {
    return Promise.all(requests.map((r) => this.limit(() => this.completeOne(r))));
  }

  private pickServer(): string {
    const url = this.urls[this.next % this.urls.length]!;
    this.next++;
    return url;
  }

  private async completeOne(req: CompletionRequest): Promise<CompletionResult> {
    const body = JSON.stringify({
      model: this.opts.model,
      prompt: req.prompt,
      max_tokens: req.maxTokens,
      temperature: req.temperature,
      top_p: req.topP ?? 1,
      ...(req.stop && req.stop.length ? { stop: req.stop } : {}),
      ...(req.seed !== undefined ? { seed: req.seed } : {}),
      n: 1,
    });
    let lastError = '';
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      const base = this.pickServer();
      try {
        const res = await this.opts.fetchImpl(`${base}/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
        });
        if (res.ok) return parseCompletion(await res.json(), base);
        const text = await res.text().catch(() => '');
        lastError = `${base}: HTTP ${res.status} ${text.slice(0, 200)}`;
        if (!RETRYABLE_STATUS.has(res.status)) {
          throw new RhoError('RUNTIME', `completion request failed: ${lastError}`, { hint: 'check --model-name and the server log' });
        }
      } catch (e) {
        if (e instanceof RhoError) throw e;
        // Connection refused/reset, timeouts and torn bodies are all worth another try.
        lastError = `${base}: ${(e as Error).message}`;
      }
      if (attempt < this.opts.maxAttempts) await sleep(this.opts.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
    throw new RhoError('RUNTIME', `completion request failed after ${this.opts.maxAttempts} attempts: ${lastError}`);
  }
}

function parseCompletion(json: unknown, base: string): CompletionResult {
  const choice = (json as { choices?: Array<{ text?: unknown; finish_reason?: unknown }> }).choices?.[0];
  if (!choice || typeof choice.text !== 'string') {
    throw new RhoError('RUNTIME', `server ${base} answered without choices[0].text`, { got: JSON.stringify(json).slice(0, 200) });
  }
  const usage = (json as { usage?: { completion_tokens?: number } }).usage;
  return {
    text: choice.text,
    finishReason: choice.finish_reason === 'length' ? 'length' : 'stop',
    ...(typeof usage?.completion_tokens === 'number' ? { tokens: usage.completion_tokens } : {}),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
