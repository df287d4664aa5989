import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { GenerationRequest, GenerationResult, TokenModel } from '../backends/types.ts';
import { CompletionServer } from './server.ts';

/** A model that streams one token per 5 ms until told to stop, and records how each sequence ended. */
function slowModel(): TokenModel & { ended: string[] } {
  const ended: string[] = [];
  return {
    ended,
    name: 'slow',
    contextLength: 4096,
    vocabSize: 100,
    encode: (t) => [1, ...[...t].map((c) => c.charCodeAt(0) % 100)],
    decode: (ids) => ids.map((i) => String.fromCharCode(97 + (i % 26))).join(''),
    tokenText: (id) => String.fromCharCode(97 + (id % 26)),
    promptLogits: async (rows) => rows.map((r) => new Float32Array(r.length * 100)),
    generate: (req: GenerationRequest) =>
      new Promise<GenerationResult>((resolve, reject) => {
        const tokens: number[] = [];
        const timer = setInterval(() => {
          tokens.push(tokens.length % 26);
          req.onToken?.(tokens.at(-1)!, new Float32Array(100));
          if (tokens.length === req.maxTokens) {
            clearInterval(timer);
            ended.push('done');
            resolve({ tokens, text: tokens.map((i) => String.fromCharCode(97 + i)).join(''), finishReason: 'length' });
          }
        }, 5);
        req.signal?.addEventListener('abort', () => {
          clearInterval(timer);
          ended.push(`aborted after ${tokens.length}`);
          reject(new Error('cancelled'));
        });
      }),
  };
}

let server: CompletionServer | undefined;
afterEach(async () => server?.close());

describe('CompletionServer', () => {
  it('drops the sequences of a client that hangs up mid-stream, and serves the next', async () => {
    const model = slowModel();
    server = new CompletionServer(model, { port: 0 });
    const url = new URL(`${await server.listen()}/completions`);
    await new Promise<void>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let chunks = 0;
        res.on('data', () => ++chunks === 3 && (req.destroy(), resolve()));
      });
      req.on('error', () => {});
      req.end(JSON.stringify({ prompt: 'x', max_tokens: 4000, stream: true, n: 2 }));
      setTimeout(() => reject(new Error('no stream')), 5000);
    });
    // both choices of the request end as soon as the server sees the connection close
    await expect.poll(() => model.ended.length).toBe(2);
    expect(model.ended.every((e) => e.startsWith('aborted'))).toBe(true);
    const r = await fetch(url, { method: 'POST', body: JSON.stringify({ prompt: 'x', max_tokens: 3 }) });
    expect(((await r.json()) as { choices: Array<{ text: string }> }).choices[0]!.text).toBe('abc');
  });

  it('answers an error in the middle of a stream as its last event', async () => {
    const model = slowModel();
    model.generate = async () => {
      throw new Error('engine fell over');
    };
    server = new CompletionServer(model, { port: 0 });
    const r = await fetch(`${await server.listen()}/completions`, { method: 'POST', body: JSON.stringify({ prompt: 'x', echo: true, stream: true }) });
    const text = await r.text();
    expect(text).toMatch(/"error":\{"message":"engine fell over","type":"server_error"/);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('refuses a body over --max-body: declared, or counted as it comes chunked', async () => {
    server = new CompletionServer(slowModel(), { port: 0, limits: { maxBodyBytes: 1000 } });
    const url = `${await server.listen()}/completions`;
    const big = JSON.stringify({ prompt: 'x'.repeat(5000), max_tokens: 1 });
    const declared = await fetch(url, { method: 'POST', body: big });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
    // chunked: no length up front
    const chunks = [big.slice(0, 600), big.slice(600, 1200), big.slice(1200)];
    const body = new ReadableStream({ pull: (c) => void (chunks.length ? c.enqueue(new TextEncoder().encode(chunks.shift()!)) : c.close()) });
    const chunked = await fetch(url, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    // a body within the limit is served
    expect((await fetch(url, { method: 'POST', body: JSON.stringify({ prompt: 'x', max_tokens: 2 }) })).status).toBe(200);
  });

  it('answers 429 with Retry-After once batch and queue are full, and serves again when they empty', async () => {
    server = new CompletionServer(slowModel(), { port: 0, limits: { batchSize: 1, maxQueue: 1 } });
    const url = `${await server.listen()}/completions`;
    const ac = new AbortController();
    const long = () =>
      fetch(url, { method: 'POST', body: JSON.stringify({ prompt: 'x', max_tokens: 4000, stream: true }), signal: ac.signal }).then(
        async (r) => (await r.body!.getReader().read(), r),
      );
    await Promise.all([long(), long()]);
    const full = await fetch(url, { method: 'POST', body: JSON.stringify({ prompt: 'x', max_tokens: 1 }) });
    expect(full.status).toBe(429);
    expect(full.headers.get('retry-after')).toBe('1');
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe('queue_full');
    ac.abort();
    await expect.poll(async () => (await fetch(url, { method: 'POST', body: JSON.stringify({ prompt: 'x', max_tokens: 1 }) })).status).toBe(200);
    // prompts × n beyond what the server could ever hold: a 400, not a retry
    const never = await fetch(url, { method: 'POST', body: JSON.stringify({ prompt: ['a', 'b'], n: 2, max_tokens: 1 }) });
    expect(never.status).toBe(400);
  });

  it('cuts a request at its deadline: 504, or an error event ending the stream, and its sequences dropped', async () => {
    const model = slowModel();
    server = new CompletionServer(model, { port: 0, limits: { requestTimeoutMs: 300 } });
    const url = `${await server.listen()}/completions`;
    const plain = await fetch(url, { method: 'POST', body: JSON.stringify({ prompt: 'x', max_tokens: 4000 }) });
    expect(plain.status).toBe(504);
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('timeout');
    const streamed = await (await fetch(url, { method: 'POST', body: JSON.stringify({ prompt: 'x', max_tokens: 4000, stream: true }) })).text();
    expect(streamed).toMatch(/"code":"timeout"/);
    expect(streamed.trimEnd().endsWith('data: [DONE]')).toBe(true);
    await expect.poll(() => model.ended.length).toBe(2);
    expect(model.ended.every((e) => e.startsWith('aborted'))).toBe(true);
  });

  it('answers 408 to a body that does not arrive in time', async () => {
    server = new CompletionServer(slowModel(), { port: 0, limits: { requestTimeoutMs: 300 } });
    const { port } = new URL(await server.listen());
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write('POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"prompt":'),
      );
      let text = '';
      socket.on('data', (c) => (text += c)).on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toMatch(/"code":"request_timeout"/);
  });

  it('drains: answers the requests in flight, refuses new ones, then resolves', async () => {
    server = new CompletionServer(slowModel(), { port: 0 });
    const url = `${await server.listen()}/completions`;
    const inFlight = fetch(url, { method: 'POST', body: JSON.stringify({ prompt: 'x', max_tokens: 40 }) });
    await expect.poll(() => server!.requestsInFlight).toBe(1);
    const drained = server.drain();
    await expect(fetch(url, { method: 'POST', body: JSON.stringify({ prompt: 'x', max_tokens: 1 }) })).rejects.toThrow();
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(((await r.json()) as { choices: Array<{ text: string }> }).choices[0]!.text).toHaveLength(40);
    await drained;
  });

  it('while draining, a request still coming on an open connection is a 503 that closes the connection', async () => {
    server = new CompletionServer(slowModel(), { port: 0 });
    const base = await server.listen();
    const inFlight = fetch(`${base}/completions`, { method: 'POST', body: JSON.stringify({ prompt: 'x', max_tokens: 40 }) });
    await expect.poll(() => server!.requestsInFlight).toBe(1);
    // headers begun before the drain: the connection is not idle, so closing the listener keeps it
    const late = connect(Number(new URL(base).port), '127.0.0.1');
    await new Promise((r) => late.once('connect', r));
    late.write('GET /v1/models HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setTimeout(r, 50));
    const drained = server.drain();
    const answer = new Promise<string>((resolve) => {
      let text = '';
      late.on('data', (c) => (text += c)).on('close', () => resolve(text));
    });
    late.write('\r\n');
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 503[\s\S]*"code":"shutting_down"/);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    expect((await inFlight).status).toBe(200);
    await drained;
  });

  it('answers what node cannot read as HTTP in the error shape too, and closes', async () => {
    server = new CompletionServer(slowModel(), { port: 0 });
    const { port } = new URL(await server.listen());
    const exchange = (text: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
        let answer = '';
        socket.on('data', (c) => (answer += c)).on('close', () => resolve(answer));
      });
    expect(await exchange('GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400[\s\S]*"code":"bad_http"/);
    expect(await exchange(`GET /health HTTP/1.1\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431[\s\S]*"code":"headers_too_large"/);
  });

  it('after a 413 reads and drops the rest of the body, and the connection serves the next request', async () => {
    server = new CompletionServer(slowModel(), { port: 0, limits: { maxBodyBytes: 1000 } });
    const { port } = new URL(await server.listen());
    const small = JSON.stringify({ prompt: 'x', max_tokens: 2 });
    const answers = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n`);
        socket.write('x'.repeat(5000));
        socket.write(`POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: ${small.length}\r\n\r\n${small}`);
      });
      let text = '';
      socket.on('data', (c) => {
        text += c;
        if (/"choices"/.test(text)) socket.end();
      });
      socket.on('close', () => resolve(text));
    });
    expect(answers).toMatch(/^HTTP\/1\.1 413[\s\S]*HTTP\/1\.1 200[\s\S]*"text":"ab"/);
  });
});
