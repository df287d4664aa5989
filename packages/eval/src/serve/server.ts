import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Completion, CompletionModel, CompletionOptions } from '../backends/types.ts';

/**
 * An OpenAI-compatible `/v1/completions` + `/v1/models` server over any CompletionModel (in
 * practice a local checkpoint), so other tools can use our models and our HTTP backend is tested
 * against a real server. Concurrent requests with the same generation options are decoded together.
 */
export interface ServeOptions {
  host?: string;
  port?: number;
  /** Prompts decoded together at most. */
  batchSize?: number;
  /** Counts prompt tokens for `usage`. */
  countTokens?: (text: string) => number;
  /** How long an idle server waits for more requests to join the first one's batch. */
  batchWindowMs?: number;
}

const CompletionBody = z.object({
  model: z.string().optional(),
  prompt: z.union([z.string(), z.array(z.string()).min(1)]),
  max_tokens: z.number().int().min(0).default(16),
  temperature: z.number().min(0).max(10).default(1),
  top_p: z.number().gt(0).max(1).default(1),
  stop: z.union([z.string(), z.array(z.string()), z.null()]).optional(),
  seed: z.number().int().optional(),
  n: z.literal(1).default(1),
  stream: z.literal(false).optional(),
});

interface Job {
  prompt: string;
  opts: CompletionOptions;
  resolve: (c: Completion) => void;
  reject: (e: unknown) => void;
}

export class CompletionServer {
  private server?: Server;
  private queue: Job[] = [];
  private busy = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firstWait: number | undefined;
  private created = Math.floor(Date.now() / 1000);
  private nextId = 0;

  constructor(
    private readonly model: CompletionModel,
    private readonly opts: ServeOptions = {},
  ) {}

  async listen(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port ?? 8000, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    return `http://${addr.address}:${addr.port}/v1`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && url === '/v1/models') {
        return send(res, 200, { object: 'list', data: [{ id: this.model.name, object: 'model', created: this.created, owned_by: 'rho' }] });
      }
      if (req.method === 'POST' && url === '/v1/completions') return await this.completions(req, res);
      send(res, 404, { error: { message: `no route ${req.method} ${url}`, type: 'invalid_request_error' } });
    } catch (e) {
      send(res, 500, { error: { message: (e as Error).message, type: 'server_error' } });
    }
  }

  private async completions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return send(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
    }
    const parsed = CompletionBody.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return send(res, 400, { error: { message: `${issue.path.join('.') || 'body'}: ${issue.message}`, type: 'invalid_request_error', param: issue.path.join('.') } });
    }
    const b = parsed.data;
    const prompts = typeof b.prompt === 'string' ? [b.prompt] : b.prompt;
    const stop = b.stop == null ? [] : typeof b.stop === 'string' ? [b.stop] : b.stop;
    const opts: CompletionOptions = { stop, maxTokens: b.max_tokens, temperature: b.temperature, topP: b.top_p, seed: b.seed };
    const results = await Promise.all(prompts.map((prompt) => this.enqueue(prompt, opts)));
    const completionTokens = results.reduce((a, r) => a + (r.tokens ?? 0), 0);
    const promptTokens = this.opts.countTokens ? prompts.reduce((a, p) => a + this.opts.countTokens!(p), 0) : 0;
    send(res, 200, {
      id: `cmpl-${this.nextId++}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: this.model.name,
      choices: results.map((r, index) => ({ index, text: r.text, finish_reason: r.finishReason, logprobs: null })),
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    });
  }

  private enqueue(prompt: string, opts: CompletionOptions): Promise<Completion> {
    // a continuously batching model takes each request as it comes: its scheduler fills the batch
    if (this.model.continuous) return this.model.complete([prompt], opts).then((out) => out[0]!);
    return new Promise((resolve, reject) => {
      this.queue.push({ prompt, opts, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Requests of one client burst arrive a few ms apart: an idle server starts decoding when the
   * batch is full, or when no request has arrived for `batchWindowMs` (at most 10 windows after
   * the first), rather than decoding the first request alone. A busy server picks the queue up
   * when its batch ends.
   */
  private schedule(): void {
    if (this.busy) return;
    const window = this.opts.batchWindowMs ?? 10;
    if (this.queue.length >= (this.opts.batchSize ?? 16)) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.drain();
      return;
    }
    this.firstWait ??= Date.now();
    clearTimeout(this.timer);
    const left = Math.max(0, this.firstWait + 10 * window - Date.now());
    this.timer = setTimeout(() => void this.drain(), Math.min(window, left));
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.timer = undefined;
    this.firstWait = undefined;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        const key = JSON.stringify(head.opts);
        const batch = this.queue.filter((j) => JSON.stringify(j.opts) === key).slice(0, this.opts.batchSize ?? 16);
        this.queue = this.queue.filter((j) => !batch.includes(j));
        try {
          const out = await this.model.complete(batch.map((j) => j.prompt), head.opts);
          batch.forEach((j, i) => j.resolve(out[i]!));
        } catch (e) {
          batch.forEach((j) => j.reject(e));
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
