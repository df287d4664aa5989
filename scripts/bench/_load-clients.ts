/**
 * The clients of `pnpm bench serve-load`: well-formed requests whose answers are checked, and
 * hostile ones (bodies too large, broken, trickled or abandoned). Everything goes to one loopback
 * server; every request ends by the run's deadline at the latest, and no client keeps more than
 * one shared buffer of the oversized body.
 */
import { connect, type Socket } from 'node:net';

/** What one request came to. */
export interface Outcome {
  kind: string;
  /** The HTTP status, or 0 when none came (the connection reset or closed, or the client left). */
  status: number;
  /** Well-formed requests only: why the answer is not a correct one; null when it is. */
  failure: string | null;
  ms: number;
  /** Hostile requests still open when the run ended (a slow-headers client, typically). */
  openAtEnd?: boolean;
  /** Hostile requests: the error that ended one without an answer, when it threw. */
  error?: string;
}

export interface Target {
  /** …/v1 */
  url: string;
  port: number;
  maxBodyBytes: number;
  /** The run's end: hostile requests still open then are cut. */
  deadline: number;
}

export const WELL_FORMED_KINDS = ['completion', 'completion stream', 'chat', 'chat stream'] as const;
export const HOSTILE_KINDS = [
  'oversized body, Content-Length',
  'oversized body, chunked',
  'malformed JSON',
  'invalid UTF-8',
  'invalid fields / past context',
  'disconnect mid-body',
  'disconnect mid-stream',
  'slow body',
  'slow headers',
] as const;

/** The status each hostile kind should get (0: none, the client leaves first). */
export const HOSTILE_EXPECTED: Record<(typeof HOSTILE_KINDS)[number], number> = {
  'oversized body, Content-Length': 413,
  'oversized body, chunked': 413,
  'malformed JSON': 400,
  'invalid UTF-8': 400,
  'invalid fields / past context': 400,
  'disconnect mid-body': 0,
  'disconnect mid-stream': 200,
  'slow body': 200,
  'slow headers': 408,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One well-formed request of `kind`, its answer checked as an OpenAI client would read it. */
export async function wellFormed(t: Target, kind: (typeof WELL_FORMED_KINDS)[number], prompt: string, i: number): Promise<Outcome> {
  const t0 = performance.now();
  const chat = kind.startsWith('chat');
  const stream = kind.endsWith('stream');
  const n = i % 4 === 3 ? 2 : 1;
  const maxTokens = 8 + (i % 5) * 10;
  const body = {
    model: 'load',
    max_tokens: maxTokens,
    temperature: 0.8,
    n,
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
    ...(chat ? { messages: [{ role: 'user', content: prompt }] } : { prompt }),
  };
  const out = (status: number, failure: string | null): Outcome => ({ kind, status, failure, ms: performance.now() - t0 });
  let status = 0;
  try {
    const r = await fetch(`${t.url}/${chat ? 'chat/completions' : 'completions'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    status = r.status;
    const text = await r.text();
    if (status !== 200) return out(status, `HTTP ${status}: ${text.slice(0, 200)}`);
    return out(status, stream ? checkStream(text, n, maxTokens) : checkWhole(JSON.parse(text), chat, n, maxTokens));
  } catch (e) {
    return out(status, `no answer: ${(e as Error).message}${(e as Error).cause ? ` (${((e as Error).cause as Error).message})` : ''}`);
  }
}

interface Usage {
  completion_tokens: number;
}

function checkWhole(
  json: { choices?: Array<{ text?: string; message?: { content?: string }; finish_reason?: string }>; usage?: Usage },
  chat: boolean,
  n: number,
  maxTokens: number,
): string | null {
  if (json.choices?.length !== n) return `expected ${n} choices, got ${json.choices?.length}`;
  for (const c of json.choices) {
    if (typeof (chat ? c.message?.content : c.text) !== 'string') return 'a choice without text';
    if (c.finish_reason !== 'stop' && c.finish_reason !== 'length') return `finish_reason ${c.finish_reason}`;
  }
  if (!json.usage || json.usage.completion_tokens > n * maxTokens) return `usage ${JSON.stringify(json.usage)}`;
  return null;
}

function checkStream(text: string, n: number, maxTokens: number): string | null {
  const events = text.split('\n\n').filter((e) => e.trim().length > 0);
  if (events.at(-1)?.trim() !== 'data: [DONE]') return 'the stream does not end with data: [DONE]';
  const finished = new Set<number>();
  let usage: Usage | undefined;
  for (const e of events.slice(0, -1)) {
    if (!e.startsWith('data: ')) return `not an event: ${e.slice(0, 80)}`;
    const chunk = JSON.parse(e.slice(6)) as { error?: unknown; choices?: Array<{ index: number; finish_reason: string | null }>; usage?: Usage };
    if (chunk.error) return `error event: ${JSON.stringify(chunk.error).slice(0, 200)}`;
    for (const c of chunk.choices ?? []) if (c.finish_reason) finished.add(c.index);
    usage = chunk.usage ?? usage;
  }
  if (finished.size !== n) return `${finished.size} of ${n} choices finished`;
  if (!usage || usage.completion_tokens > n * maxTokens) return `usage ${JSON.stringify(usage)}`;
  return null;
}

/** One hostile request of `kind`; its status is recorded, never judged a failure. */
export async function hostile(t: Target, kind: (typeof HOSTILE_KINDS)[number], oversized: Buffer): Promise<Outcome> {
  const t0 = performance.now();
  let error: string | undefined;
  const status = await hostileStatus(t, kind, oversized).catch((e: Error) => ((error = `${e.message}${e.cause ? ` (${(e.cause as Error).message})` : ''}`), 0));
  return { kind, status, failure: null, ms: performance.now() - t0, openAtEnd: status === 0 && Date.now() >= t.deadline, error };
}

async function hostileStatus(t: Target, kind: (typeof HOSTILE_KINDS)[number], oversized: Buffer): Promise<number> {
  const post = (body: string | Buffer, signal?: AbortSignal) =>
    fetch(`${t.url}/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: signal ?? AbortSignal.timeout(Math.max(1, t.deadline - Date.now())),
    });
  const valid = JSON.stringify({ model: 'load', prompt: 'Natalia sold clips to 48 of her friends.', max_tokens: 4 });
  switch (kind) {
    case 'oversized body, Content-Length': {
      const r = await post(oversized);
      await r.arrayBuffer();
      return r.status;
    }
    case 'oversized body, chunked':
      return rawExchange(t, async (s, answered) => {
        await write(s, 'POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
        const piece = oversized.subarray(0, 64 * 1024);
        for (let sent = 0; sent <= t.maxBodyBytes && !answered(); sent += piece.length)
          await write(s, Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
        if (!answered()) await write(s, '0\r\n\r\n');
      });
    case 'malformed JSON': {
      const r = await post('{"prompt": "2+2=", "max_tokens": 8,,');
      await r.arrayBuffer();
      return r.status;
    }
    case 'invalid UTF-8': {
      const r = await post(Buffer.concat([Buffer.from('{"prompt": "caf'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('", "max_tokens": 4}')]));
      await r.arrayBuffer();
      return r.status;
    }
    case 'invalid fields / past context': {
      const r = await post(Math.random() < 0.5 ? JSON.stringify({ prompt: 5, max_tokens: 'many' }) : JSON.stringify({ prompt: 'Hi', max_tokens: 1e12 }));
      await r.arrayBuffer();
      return r.status;
    }
    case 'disconnect mid-body':
      return rawExchange(t, async (s) => {
        await write(
          s,
          `POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${valid.length + 1000}\r\n\r\n${valid}`,
        );
        await sleep(50 + Math.random() * 200);
        s.destroy();
      });
    case 'disconnect mid-stream': {
      const ac = new AbortController();
      const r = await post(JSON.stringify({ model: 'load', prompt: 'Natalia sold clips', max_tokens: 1000, stream: true }), ac.signal);
      const reader = r.body!.getReader();
      await reader.read();
      await reader.read();
      ac.abort();
      return r.status;
    }
    case 'slow body':
      return rawExchange(t, async (s) => {
        await write(s, `POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${valid.length}\r\n\r\n`);
        for (let i = 0; i < valid.length; i += 4) {
          await write(s, valid.slice(i, i + 4));
          await sleep(100);
        }
      });
    case 'slow headers':
      return rawExchange(t, async (s, answered) => {
        await write(s, 'POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        // one header byte a second: the header deadline, not the trickle, ends it
        for (let i = 0; !answered(); i++) {
          await write(s, 'X-Slow: a\r\n'[i % 11]!);
          await sleep(1000);
        }
      });
  }
}

/**
 * A request over a raw socket: `script` writes it; the status of the answer, or 0 when none came
 * before the socket closed or the run ended.
 */
function rawExchange(t: Target, script: (s: Socket, answered: () => boolean) => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    const s = connect(t.port, '127.0.0.1');
    let head = '';
    let status = 0;
    const finish = () => {
      clearTimeout(cut);
      s.destroy();
      resolve(status);
    };
    const cut = setTimeout(finish, Math.max(1, t.deadline - Date.now()));
    s.on('data', (c: Buffer) => {
      head += c.toString('latin1');
      const m = /^HTTP\/1\.1 (\d+)/.exec(head);
      // the status is all that is recorded; the body is small and drained by the close
      if (m && head.includes('\r\n\r\n')) {
        status = Number(m[1]);
        finish();
      }
    });
    s.on('error', () => {}).on('close', finish);
    s.on('connect', () => void script(s, () => status !== 0 || s.destroyed).catch(() => s.destroy()));
  });
}

/** Writes and waits for the socket to take it (a client that respects backpressure). */
function write(s: Socket, data: string | Buffer): Promise<void> {
  if (s.destroyed) return Promise.reject(new Error('closed'));
  return new Promise((resolve, reject) => s.write(data, (e) => (e ? reject(e) : resolve())));
}
