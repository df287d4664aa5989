import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeBaseUrl } from './base-url.ts';
import { OpenAIClient } from './client.ts';

type Mode = 'ok' | '500' | 'close' | '400';

/** A real server on 127.0.0.1 answering completions, chat and scoring, that fails on purpose for some requests. */
function misbehavingServer(failure: (attemptOfThisPrompt: number) => Mode): Promise<{ server: Server; url: string; seen: string[] }> {
  const seen: string[] = [];
  const attempts = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/v1/models') return res.end(JSON.stringify({ object: 'list', data: [{ id: 'm' }] }));
      const q = JSON.parse(body) as { prompt?: string | number[]; messages?: Array<{ content: string }>; stop?: string[]; echo?: boolean; stream?: boolean };
      const key = JSON.stringify(q.prompt ?? q.messages);
      const n = attempts.get(key) ?? 0;
      attempts.set(key, n + 1);
      const mode = failure(n);
      if (mode === 'close') return req.socket.destroy();
      if (mode === '500') return res.writeHead(500).end('boom');
      if (mode === '400')
        return res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: 'prompt: too long', type: 'invalid_request_error', param: 'prompt', code: null } }));
      seen.push(key);
      res.setHeader('content-type', 'application/json');
      const usage = { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 };
      if (req.url === '/v1/chat/completions') {
        return res.end(
          JSON.stringify({
            choices: [{ index: 0, message: { role: 'assistant', content: `chat:${q.messages!.at(-1)!.content}` }, finish_reason: 'length' }],
            usage,
          }),
        );
      }
      if (q.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const text of ['he', 'll', 'o']) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text, finish_reason: null }] })}\n\n`);
        return res.end(`data: ${JSON.stringify({ choices: [], usage })}\n\ndata: [DONE]\n\n`);
      }
      if (q.echo && Array.isArray(q.prompt)) {
        const lps = q.prompt.map((id, i) => (i === 0 ? null : -id / 10));
        return res.end(JSON.stringify({ choices: [{ index: 0, text: '', finish_reason: 'length', logprobs: { token_logprobs: lps } }], usage }));
      }
      res.end(JSON.stringify({ choices: [{ index: 0, text: `echo:${String(q.prompt)}:${(q.stop ?? []).join('|')}`, finish_reason: 'stop' }], usage }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen })),
  );
}

let servers: Server[] = [];
afterEach(() => {
  servers.forEach((s) => s.close());
  servers = [];
});

describe('OpenAIClient', () => {
  it('adds /v1 to a bare server URL and refuses what is not one', () => {
    expect(normalizeBaseUrl('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000/v1');
    expect(normalizeBaseUrl('http://127.0.0.1:8000/v1/')).toBe('http://127.0.0.1:8000/v1');
    expect(() => normalizeBaseUrl('ftp://x/v1', '--ref')).toThrow(/not an http/);
    expect(() => normalizeBaseUrl('nope', '--ref')).toThrow(/not a URL/);
  });

  it('retries 500s and dropped connections, losing and duplicating nothing', async () => {
    const { server, url, seen } = await misbehavingServer((n) => (n === 0 ? '500' : n === 1 ? 'close' : 'ok'));
    servers.push(server);
    const client = new OpenAIClient({ urls: [url], model: 'm', backoffMs: 1, concurrency: 4 });
    const prompts = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const out = await Promise.all(prompts.map((prompt) => client.complete({ prompt, maxTokens: 8, temperature: 0, stop: ['\n\n'] })));
    expect(out.map((o) => o.text)).toEqual(prompts.map((p) => `echo:${p}:\n\n`));
    expect([...seen].sort()).toEqual(prompts.map((p) => JSON.stringify(p)).sort());
    expect(out[0]!.tokens).toBe(3);
  });

  it('spreads requests over several servers', async () => {
    const a = await misbehavingServer(() => 'ok');
    const b = await misbehavingServer(() => 'ok');
    servers.push(a.server, b.server);
    const client = new OpenAIClient({ urls: [a.url, b.url], model: 'm' });
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.complete({ prompt: `q${i}`, maxTokens: 4, temperature: 0 })));
    expect(a.seen.length).toBe(5);
    expect(b.seen.length).toBe(5);
  });

  it('does not retry a client error, and reports the server message', async () => {
    let calls = 0;
    const { server, url } = await misbehavingServer(() => (calls++, '400'));
    servers.push(server);
    const client = new OpenAIClient({ urls: [url], model: 'm', backoffMs: 1 });
    await expect(client.complete({ prompt: 'x', maxTokens: 1, temperature: 0 })).rejects.toThrow(/HTTP 400 prompt: too long/);
    expect(calls).toBe(1);
  });

  it('gives up after maxAttempts', async () => {
    const { server, url } = await misbehavingServer(() => '500');
    servers.push(server);
    const client = new OpenAIClient({ urls: [url], model: 'm', backoffMs: 1, maxAttempts: 3 });
    await expect(client.complete({ prompt: 'x', maxTokens: 1, temperature: 0 })).rejects.toThrow(/after 3 attempts: .*HTTP 500/);
  });

  it('sends chat messages and reads the assistant message', async () => {
    const { server, url } = await misbehavingServer(() => 'ok');
    servers.push(server);
    const client = new OpenAIClient({ urls: [url], model: 'm' });
    const r = await client.chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 3, temperature: 0 });
    expect(r).toEqual({ text: 'chat:hi', finishReason: 'length', tokens: 3 });
  });

  it('reads prompt log-probabilities of token ids', async () => {
    const { server, url } = await misbehavingServer(() => 'ok');
    servers.push(server);
    const client = new OpenAIClient({ urls: [url], model: 'm' });
    expect(await client.promptLogprobs([5, 7, 9])).toEqual([null, -0.7, -0.9]);
  });

  it('streams text pieces, then the generated token count, retrying until the stream opens', async () => {
    const { server, url } = await misbehavingServer((n) => (n === 0 ? '500' : 'ok'));
    servers.push(server);
    const client = new OpenAIClient({ urls: [url], model: 'm', backoffMs: 1 });
    const pieces = [];
    for await (const p of client.stream({ prompt: 'x', maxTokens: 3, temperature: 0 })) pieces.push(p);
    expect(pieces).toEqual([{ text: 'he' }, { text: 'll' }, { text: 'o' }, { text: '', completionTokens: 3 }]);
  });

  it('bounds the requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const server = createServer((req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      req.resume();
      setTimeout(() => {
        inFlight--;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ choices: [{ index: 0, text: 'x', finish_reason: 'stop' }] }));
      }, 20);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const client = new OpenAIClient({ urls: [`http://127.0.0.1:${(server.address() as AddressInfo).port}`], model: 'm', concurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, () => client.complete({ prompt: 'p', maxTokens: 1, temperature: 0 })));
    expect(most).toBe(3);
  });

  it('reports an unreachable server in one line', async () => {
    const { server, url } = await misbehavingServer(() => 'ok');
    await new Promise((r) => server.close(r));
    const client = new OpenAIClient({ urls: [url], model: 'm', backoffMs: 1, maxAttempts: 2 });
    await expect(client.checkReachable()).rejects.toThrow(/unreachable/);
  });
});
