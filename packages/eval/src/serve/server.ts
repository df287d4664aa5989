import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { isRhoError } from '@rho/core/base';
import type { TokenModel } from '../backends/types.ts';
import { ApiError, badRequest } from './api-error.ts';
import { chatCompletions } from './chat.ts';
import type { ChatTemplate } from './chat-template.ts';
import { completions, promptList, type RequestContext } from './completions.ts';
import type { StreamPacing } from './generation.ts';
import { EventStream } from './event-stream.ts';
import { CONNECTION_LIMITS, DEFAULT_LIMITS, type ServeLimits } from './limits.ts';
import { parseJsonBody, readBody } from './read-body.ts';
import { RequestLifetime } from './request-lifetime.ts';
import { ChatBody, CompletionBody, parseBody } from './schema.ts';
import { SequenceSlots } from './sequence-slots.ts';
import { endAfterAnswer } from './unread-body.ts';

/**
 * An OpenAI-compatible server over a model (in practice a local checkpoint), with the semantics of
 * vLLM's: `/v1/completions`, `/v1/chat/completions`, `/v1/models`, `/health`, errors in OpenAI's
 * shape. Every choice of every request, streamed or not, goes to the model's scheduler as it
 * comes, so the requests of many clients are decoded together; a client that goes away, or a
 * request out of time, has its sequences dropped. What it holds is bounded (ServeLimits).
 */
export interface ServeOptions {
  host?: string;
  port?: number;
  /** The checkpoint's chat template; without one, chat requests are a clear 400. */
  chatTemplate?: ChatTemplate | null;
  /** Tokens per streamed event at most (the first token goes at once); 1 streams every token. */
  streamInterval?: number;
  /**
   * Milliseconds at least between a stream's events (DEFAULT_STREAM_INTERVAL_MS when absent; 0:
   * none): tokens decoded faster ride together in the next event.
   */
  streamIntervalMs?: number;
  limits?: Partial<ServeLimits>;
}

/**
 * 20 events a second at most per stream: text that arrives this often reads as continuous, and
 * only streams decoding faster than 20 tokens/s (small models) are merged. Every event is a socket
 * write and a wake-up of its client: on a 2-core machine 16 streams of every token of `small`
 * (~150 tokens/s each) took 12–18% off the served batch (`pnpm bench serve`).
 */
export const DEFAULT_STREAM_INTERVAL_MS = 50;

export class CompletionServer {
  private server?: Server;
  private readonly created = Math.floor(Date.now() / 1000);
  private nextId = 0;
  readonly limits: ServeLimits;
  private readonly pacing: StreamPacing;
  private readonly slots: SequenceSlots;
  private inFlight = 0;
  private whenIdle: (() => void) | null = null;
  private draining: Promise<void> | null = null;
  /** Sockets with an answer under way: a client error on one of them cannot be answered raw. */
  private readonly answering = new WeakSet<Duplex>();

  constructor(
    private readonly model: TokenModel,
    private readonly opts: ServeOptions = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.pacing = { streamInterval: opts.streamInterval, streamIntervalMs: opts.streamIntervalMs ?? DEFAULT_STREAM_INTERVAL_MS };
    this.slots = new SequenceSlots(this.limits.batchSize + this.limits.maxQueue);
  }

  async listen(): Promise<string> {
    const c = CONNECTION_LIMITS;
    // node's own receive deadline answers without our error shape: the body's deadline is the request's (RequestLifetime)
    const options = {
      maxHeaderSize: c.maxHeaderBytes,
      headersTimeout: c.headersTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: c.keepAliveTimeoutMs,
      connectionsCheckingInterval: c.checkIntervalMs,
    };
    this.server = createServer(options, (req, res) => void this.handle(req, res));
    this.server.maxConnections = c.maxConnections;
    // an Expect: 100-continue is answered once the declared length is known to fit
    this.server.on('checkContinue', (req, res) => void this.handle(req, res, true));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.clientError(err, socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port ?? 8000, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    return `http://${addr.address}:${addr.port}/v1`;
  }

  /** Requests being answered now. */
  get requestsInFlight(): number {
    return this.inFlight;
  }

  /**
   * Takes no new requests and resolves once those in flight are answered: the listener and idle
   * connections close at once, and a request that still comes on an open connection is a 503.
   */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      if (!this.server) return;
      const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.whenIdle = resolve));
      this.server.closeAllConnections();
      await closed;
    })();
    return this.draining;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    // clients keep connections alive between requests: do not wait for them to hang up
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, expectsContinue = false): Promise<void> {
    this.inFlight++;
    this.answering.add(req.socket);
    const L = this.limits;
    // a client that hangs up, or a request out of time, has its sequences dropped
    const life = new RequestLifetime(res, { timeoutMs: L.requestTimeoutMs, receiveMs: Math.min(L.requestTimeoutMs, CONNECTION_LIMITS.receiveTimeoutMs) });
    // a broken connection shows as the lifetime's cut; its write errors have nobody to go to
    res.on('error', () => {});
    let held = 0;
    let continued = false;
    let stream: EventStream | null = null;
    try {
      if (this.draining) {
        // the connection goes with this answer: a client's pool must not keep reaching a closing server
        res.setHeader('connection', 'close');
        throw new ApiError(503, 'the server is shutting down: it finishes the requests in flight and takes no new ones', null, 'shutting_down');
      }
      const url = (req.url ?? '').split('?')[0]!.replace(/\/+$/, '');
      if (req.method === 'GET' && url === '/health') return void res.writeHead(200).end();
      if (req.method === 'GET' && url === '/v1/models') {
        return send(res, 200, {
          object: 'list',
          data: [{ id: this.model.name, object: 'model', created: this.created, owned_by: 'rho', max_model_len: this.model.contextLength }],
        });
      }
      const route =
        req.method === 'POST' && url === '/v1/completions' ? 'completions' : req.method === 'POST' && url === '/v1/chat/completions' ? 'chat' : null;
      if (!route) throw new ApiError(404, `no route ${req.method} ${url}`);
      // one slot from the first byte: bodies being received are bounded by the queue too
      if (!this.slots.tryTake(1)) throw this.queueFull();
      held = 1;
      const onAccepted = () => {
        res.writeContinue();
        continued = true;
      };
      const bytes = await readBody(req, L.maxBodyBytes, { signal: life.signal, onAccepted: expectsContinue ? onAccepted : undefined });
      life.bodyArrived();
      const json = parseJsonBody(bytes);
      const ctx: RequestContext = {
        model: this.model,
        id: `${route === 'chat' ? 'chatcmpl' : 'cmpl'}-${this.nextId++}`,
        created: Math.floor(Date.now() / 1000),
        signal: life.signal,
        pacing: this.pacing,
      };
      if (route === 'completions') {
        const body = parseBody(CompletionBody, json);
        held = this.hold(held, promptList(body.prompt).length * (body.n ?? 1));
        stream = body.stream ? new EventStream(res) : null;
        const out = await life.race(completions(ctx, body, stream));
        if (!stream) send(res, 200, out);
      } else {
        const body = parseBody(ChatBody, json);
        held = this.hold(held, body.n ?? 1);
        stream = body.stream ? new EventStream(res) : null;
        const out = await life.race(chatCompletions(ctx, this.opts.chatTemplate ?? null, body, stream));
        if (!stream) send(res, 200, out);
      }
    } catch (e) {
      if (life.cut === 'client-gone') return; // nobody left to tell
      const err = life.cut === 'timeout' ? timedOut(life.bodyReceived, L.requestTimeoutMs) : toApiError(e);
      if (err.status === 500) process.stderr.write(`serve: ${(e as Error)?.stack ?? String(e)}\n`);
      if (!res.headersSent) {
        if (!req.complete) endAfterAnswer(req, res, { lingerMs: CONNECTION_LIMITS.lingerMs, awaitingContinue: expectsContinue && !continued });
        else if (this.draining) res.setHeader('connection', 'close');
        if (err.status === 429) res.setHeader('retry-after', '1');
        send(res, err.status, err.body);
      } else {
        // the stream had begun: the error as its last event
        stream?.send(err.body);
        stream?.done();
      }
    } finally {
      life.dispose();
      this.slots.release(held);
      this.answering.delete(req.socket);
      if (--this.inFlight === 0) this.whenIdle?.();
    }
  }

  /** A request's hold grown from the slot it came with to its `sequences`; returns what it holds. */
  private hold(held: number, sequences: number): number {
    const { batchSize, maxQueue } = this.limits;
    if (sequences > this.slots.capacity) {
      throw badRequest(
        `the request asks for ${sequences} sequences (prompts × n), more than the server holds at once: ${this.slots.capacity} (--batch-size ${batchSize} + --max-queue ${maxQueue})`,
        'n',
      );
    }
    if (sequences > held && !this.slots.tryTake(sequences - held)) throw this.queueFull();
    return Math.max(held, sequences);
  }

  private queueFull(): ApiError {
    const { batchSize, maxQueue } = this.limits;
    return new ApiError(
      429,
      `the server is full: ${this.slots.inUse} of ${this.slots.capacity} sequences held (--batch-size ${batchSize} + --max-queue ${maxQueue}); retry later`,
      null,
      'queue_full',
      'requests',
    );
  }

  /** A request node could not read (headers too slow, too large, not HTTP): answered raw, then closed. */
  private clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (err.code === 'ECONNRESET' || !socket.writable || this.answering.has(socket)) return void socket.destroy();
    const c = CONNECTION_LIMITS;
    const [status, message, code] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, `the request headers did not arrive within ${c.headersTimeoutMs / 1000} s`, 'request_timeout']
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, `the request headers are larger than ${c.maxHeaderBytes} bytes`, 'headers_too_large']
          : [400, `the request is not HTTP the server can read (${err.code ?? err.message})`, 'bad_http'];
    const text = JSON.stringify(new ApiError(status, message, null, code).body);
    const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n`;
    socket.end(head + text, () => socket.destroy());
  }
}

/** What a failed request answers: its own ApiError, a 400 for bad input, else a 500. */
function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (isRhoError(e) && (e.code === 'BAD_INPUT' || e.code === 'BAD_CONFIG')) return badRequest(e.message, e.context.field ?? null);
  return new ApiError(500, (e as Error)?.message ?? String(e));
}

/** A request cut by its deadline: 408 while its body was still arriving, else 504. */
function timedOut(bodyReceived: boolean, timeoutMs: number): ApiError {
  return bodyReceived
    ? new ApiError(504, `the request was not answered within ${timeoutMs / 1000} s (--request-timeout)`, null, 'timeout')
    : new ApiError(408, 'the request body did not arrive in time', null, 'request_timeout');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
