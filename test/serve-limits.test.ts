/**
 * `pnpm serve`'s limits on 127.0.0.1 with a real tiny checkpoint, as vLLM and OpenAI behave: a
 * request past the context is a 400 naming both numbers; a body over --max-body a 413 (declared or
 * chunked); a full queue a 429; a body decoded whole (a character split across TCP writes); a
 * request out of time a 408 or 504; SIGTERM answers what is in flight, then exits 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type Served } from './serve.ts';
import { tinyCheckpoint } from './tiny-checkpoint.ts';

const root = mkdtempSync(join(tmpdir(), 'serve-limits-'));
const ckpt = join(root, 'ckpt');
const CONTEXT = 2048;
const servers: Served[] = [];
let limited: Served; // --max-body 64KiB
let narrow: Served; // --batch-size 1 --max-queue 1
let hasty: Served; // --request-timeout 1

beforeAll(async () => {
  await tinyCheckpoint(root, ckpt, { problems: 200, maxPositions: CONTEXT });
  [limited, narrow, hasty] = await Promise.all([
    startServe(ckpt, ['--max-body', '64KiB']),
    startServe(ckpt, ['--batch-size', '1', '--max-queue', '1']),
    startServe(ckpt, ['--request-timeout', '1']),
  ]);
  servers.push(limited, narrow, hasty);
}, 300_000);

afterAll(() => {
  servers.forEach((s) => s.stop());
  rmSync(root, { recursive: true, force: true });
});

const portOf = (s: Served) => Number(new URL(s.url).port);
const post = (s: Served, body: unknown, init: RequestInit = {}) =>
  fetch(`${s.url}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...init });
type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };

interface RawAnswer {
  status: number;
  body: string;
}

/** Reads one HTTP answer off a socket: resolves once its declared length has come (or the socket closes). */
function answerOf(socket: Socket): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let bytes = Buffer.alloc(0);
    const done = () => {
      const text = bytes.toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
      socket.destroy();
    };
    socket.on('data', (c: Buffer) => {
      bytes = Buffer.concat([bytes, c]);
      const end = bytes.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(bytes.subarray(0, end).toString())?.[1];
      if (end >= 0 && length !== undefined && bytes.length >= end + 4 + Number(length)) done();
    });
    socket.on('close', done).on('error', reject);
  });
}

/** A raw HTTP/1.1 request: each write its own TCP segment, `gapMs` apart. */
function raw(port: number, writes: Uint8Array[], gapMs = 100): Promise<RawAnswer> {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  socket.on('connect', async () => {
    for (const [i, w] of writes.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
      if (!socket.destroyed) socket.write(w);
    }
  });
  return answerOf(socket);
}

/** Whether a new TCP connection is taken ('listening') or refused (its error code). */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve('listening')));
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

const head = (length: number | 'chunked') =>
  Buffer.from(
    `POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`}\r\n\r\n`,
  );

/** A request whose body stops half way: it holds its place on the server until `finish` sends the rest. */
function halfSent(port: number, body: Buffer): { socket: Socket; answer: Promise<RawAnswer>; finish: () => void } {
  const cut = Math.floor(body.length / 2);
  const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.concat([head(body.length), body.subarray(0, cut)])));
  return { socket, answer: answerOf(socket), finish: () => void socket.write(body.subarray(cut)) };
}

describe('pnpm serve: limits', { timeout: 120_000 }, () => {
  it('refuses prompt + max_tokens past the context with a 400 naming the context and both parts', async () => {
    const p = ((await (await post(limited, { prompt: 'Hi there', max_tokens: 0, echo: true })).json()) as { usage: { prompt_tokens: number } }).usage
      .prompt_tokens;
    const r = await post(limited, { prompt: 'Hi there', max_tokens: CONTEXT });
    expect(r.status).toBe(400);
    const { error } = (await r.json()) as ErrorBody;
    expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(error).toMatchObject({ type: 'invalid_request_error', param: 'prompt', code: 'context_length_exceeded' });
    expect(error.message).toBe(
      `This model's maximum context length is ${CONTEXT} tokens. However, you requested ${p + CONTEXT} tokens (${p} in the prompt, ${CONTEXT} in the completion). Please reduce the length of the prompt or completion.`,
    );
    expect((await post(limited, { prompt: 'Hi there', max_tokens: 1e12 })).status).toBe(400);
    // exactly the context is allowed; an unset max_tokens takes OpenAI's 16
    expect((await post(limited, { prompt: 'Hi there', max_tokens: CONTEXT - p, temperature: 0, stop: ['\n'] })).status).toBe(200);
    const dflt = (await (await post(limited, { prompt: 'Hi there', temperature: 1 })).json()) as { usage: { completion_tokens: number } };
    expect(dflt.usage.completion_tokens).toBeLessThanOrEqual(16);
  });

  it('refuses a body over --max-body with a 413: declared up front, or counted as it comes chunked', async () => {
    const big = { prompt: 'x'.repeat(1 << 20), max_tokens: 1 };
    const declared = await post(limited, big);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as ErrorBody).error.code).toBe('request_too_large');
    // the length alone decides: no byte of the body is sent
    const headersOnly = await raw(portOf(limited), [head(10_000_000)]);
    expect(headersOnly.status).toBe(413);
    expect(headersOnly.body).toMatch(/larger than the server's limit of 65536 bytes/);
    // chunked: no length to check, so the count decides, long before the megabyte is sent
    let sent = 0;
    const stream = new ReadableStream({
      pull: (c) => {
        if (sent >= 1 << 20) return c.close();
        sent += 16_384;
        c.enqueue(new Uint8Array(16_384).fill(0x20));
      },
    });
    const chunked = await fetch(`${limited.url}/completions`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    // a raw chunked body over the limit, then a request on a fresh connection is served
    const chunk = Buffer.concat([Buffer.from(`${(70_000).toString(16)}\r\n`), Buffer.alloc(70_000, 0x20), Buffer.from('\r\n')]);
    expect((await raw(portOf(limited), [head('chunked'), chunk])).status).toBe(413);
    expect((await post(limited, { prompt: 'Hi', max_tokens: 1 })).status).toBe(200);
  });

  it('decodes the body once it is whole: a character split across two TCP writes gives the same prompt', async () => {
    const prompt = 'Natalia sold clips — café, 5 € each ✓';
    const body = Buffer.from(JSON.stringify({ prompt, max_tokens: 0, echo: true }));
    const whole = await raw(portOf(limited), [head(body.length), body]);
    const cut = body.indexOf(Buffer.from('€')) + 1; // inside the euro sign's three bytes
    const split = await raw(portOf(limited), [head(body.length), body.subarray(0, cut), body.subarray(cut)]);
    expect(whole.status).toBe(200);
    expect(split.status).toBe(200);
    const read = (r: { body: string }) => JSON.parse(r.body) as { choices: Array<{ text: string }>; usage: { prompt_tokens: number } };
    expect(read(split).usage.prompt_tokens).toBe(read(whole).usage.prompt_tokens);
    expect(read(split).choices[0]!.text).toBe(read(whole).choices[0]!.text);
    expect(read(split).choices[0]!.text.endsWith('5 € each ✓')).toBe(true);
    // bytes that are not UTF-8 are refused, not guessed at
    const bad = Buffer.concat([Buffer.from('{"prompt": "'), Buffer.from([0xe2, 0x82]), Buffer.from('", "max_tokens": 1}')]);
    const r = await raw(portOf(limited), [head(bad.length), bad]);
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/not valid UTF-8/);
  });

  it('answers 429 with Retry-After when --batch-size + --max-queue sequences are held', async () => {
    const body = Buffer.from(JSON.stringify({ prompt: 'Hi', max_tokens: 1 }));
    // two requests whose bodies are still arriving hold both places
    const held = [halfSent(portOf(narrow), body), halfSent(portOf(narrow), body)];
    await expect.poll(async () => (await post(narrow, { prompt: 'Hi', max_tokens: 1 })).status).toBe(429);
    const r = await post(narrow, { prompt: 'Hi', max_tokens: 1 });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');
    expect((await r.json()) as ErrorBody).toMatchObject({ error: { code: 'queue_full' } });
    // those two are answered when they finish, and the places are free again
    held.forEach((h) => h.finish());
    expect((await Promise.all(held.map((h) => h.answer))).map((a) => a.status)).toEqual([200, 200]);
    expect((await post(narrow, { prompt: 'Hi', max_tokens: 1 })).status).toBe(200);
  });

  it('cuts a request at --request-timeout: 408 while its body arrives, 504 (or a last error event) while it decodes', async () => {
    const t0 = performance.now();
    const slow = halfSent(portOf(hasty), Buffer.from(JSON.stringify({ prompt: 'Hi', max_tokens: 1 })));
    const a = await slow.answer;
    expect(a.status).toBe(408);
    expect(performance.now() - t0).toBeLessThan(5000);
    // 64 sequences of 2000 tokens take seconds on this model
    const long = { prompt: 'Hi', n: 64, max_tokens: 2000, temperature: 1 };
    const r = await post(hasty, long);
    expect(r.status).toBe(504);
    expect(((await r.json()) as ErrorBody).error.code).toBe('timeout');
    const streamed = await (await post(hasty, { ...long, stream: true })).text();
    expect(streamed).toMatch(/"code":"timeout"/);
    expect(streamed.trimEnd().endsWith('data: [DONE]')).toBe(true);
    // its sequences were dropped: a short request is answered at once
    const t1 = performance.now();
    expect((await post(hasty, { prompt: 'Hi', max_tokens: 4 })).status).toBe(200);
    expect(performance.now() - t1).toBeLessThan(1000);
  });

  it('SIGTERM: takes no new requests, answers the one in flight, then exits 0; a second signal exits at once', async () => {
    const [draining, impatient] = await Promise.all([startServe(ckpt), startServe(ckpt)]);
    servers.push(draining, impatient);
    const body = Buffer.from(JSON.stringify({ prompt: 'Hi', max_tokens: 3, temperature: 0 }));
    const inFlight = halfSent(portOf(draining), body);
    await new Promise((r) => setTimeout(r, 200));
    draining.child.kill('SIGTERM');
    // each try a fresh connection: the listener closing is what is checked, not a pooled socket
    await expect.poll(() => connectOutcome(portOf(draining)), { timeout: 30_000, interval: 100 }).toBe('ECONNREFUSED');
    inFlight.finish();
    const a = await inFlight.answer;
    expect(a.status).toBe(200);
    expect((JSON.parse(a.body) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(3);
    expect(await draining.exited).toBe(0);

    const stuck = halfSent(portOf(impatient), body);
    await new Promise((r) => setTimeout(r, 200));
    impatient.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    impatient.child.kill('SIGTERM');
    expect(await impatient.exited).toBe(143);
    stuck.socket.destroy();
  });
});
