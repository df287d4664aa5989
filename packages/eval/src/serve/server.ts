import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRhoError } from '@rho/core/base';
import type { TokenModel } from '../backends/types.ts';
import { ApiError, badRequest } from './api-error.ts';
import { chatCompletions } from './chat.ts';
import type { ChatTemplate } from './chat-template.ts';
import { completions, type RequestContext } from './completions.ts';
import { EventStream } from './event-stream.ts';
import { ChatBody, CompletionBody, parseBody } from './schema.ts';

/**
 * An OpenAI-compatible server over a model (in practice a local checkpoint), with the semantics of
 * vLLM's: `/v1/completions`, `/v1/chat/completions`, `/v1/models`, `/health`, errors in OpenAI's
 * shape. Every choice of every request, streamed or not, goes to the model's scheduler as it
 * comes, so the requests of many clients are decoded together; a client that goes away has its
 * sequences dropped.
 */
export interface ServeOptions {
  host?: string;
  port?: number;
  /** The checkpoint's chat template; without one, chat requests are a clear 400. */
  chatTemplate?: ChatTemplate | null;
  /** Tokens per streamed event at most (the first token goes at once); 1 streams every token. */
  streamInterval?: number;
}

/** Request bodies larger than this are refused (a scoring window of ids is well under a megabyte). */
const MAX_BODY_BYTES = 64 * 2 ** 20;

export class CompletionServer {
  private server?: Server;
  private readonly created = Math.floor(Date.now() / 1000);
  private nextId = 0;

  constructor(
    private readonly model: TokenModel,
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
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    // clients keep connections alive between requests: do not wait for them to hang up
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // a client that hangs up before its answer is complete: its sequences are dropped
    const gone = new AbortController();
    res.on('close', () => res.writableFinished || gone.abort());
    let stream: EventStream | null = null;
    try {
      const url = (req.url ?? '').split('?')[0]!.replace(/\/+$/, '');
      if (req.method === 'GET' && url === '/health') return void res.writeHead(200).end();
      if (req.method === 'GET' && url === '/v1/models') {
        return send(res, 200, { object: 'list', data: [{ id: this.model.name, object: 'model', created: this.created, owned_by: 'rho', max_model_len: this.model.contextLength }] });
      }
      const route = req.method === 'POST' && url === '/v1/completions' ? 'completions' : req.method === 'POST' && url === '/v1/chat/completions' ? 'chat' : null;
      if (!route) throw new ApiError(404, `no route ${req.method} ${url}`);
      const json = await readJson(req);
      const ctx: RequestContext = { model: this.model, id: `${route === 'chat' ? 'chatcmpl' : 'cmpl'}-${this.nextId++}`, created: Math.floor(Date.now() / 1000), signal: gone.signal, streamInterval: this.opts.streamInterval };
      if (route === 'completions') {
        const body = parseBody(CompletionBody, json);
        stream = body.stream ? new EventStream(res) : null;
        const out = await completions(ctx, body, stream);
        if (!stream) send(res, 200, out);
      } else {
        const body = parseBody(ChatBody, json);
        stream = body.stream ? new EventStream(res) : null;
        const out = await chatCompletions(ctx, this.opts.chatTemplate ?? null, body, stream);
        if (!stream) send(res, 200, out);
      }
    } catch (e) {
      if (gone.signal.aborted) return; // nobody left to tell
      const err = e instanceof ApiError ? e : isRhoError(e) && (e.code === 'BAD_INPUT' || e.code === 'BAD_CONFIG') ? badRequest(e.message, e.context.field ?? null) : new ApiError(500, (e as Error)?.message ?? String(e));
      if (err.status >= 500) process.stderr.write(`serve: ${(e as Error)?.stack ?? String(e)}\n`);
      if (!res.headersSent) send(res, err.status, err.body);
      else {
        // the stream had begun: the error as its last event
        stream?.send(err.body);
        stream?.done();
      }
    }
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `the request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('the request body is not JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
