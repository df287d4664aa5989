import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeBaseUrl, OpenAICompletionsClient } from './openai.ts';

/** A real completions server on 127.0.0.1 that fails on purpose for some requests. */
function misbehavingServer(failure: (attemptOfThisPrompt: number) => 'ok' | '500' | 'close' | '400'): Promise<{ server: Server; url: string; seen: string[] }> {
  const seen: string[] = [];
  const attempts = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/v1/models') return res.end(JSON.stringify({ data: [{ id: 'm' }] }));
      const { prompt, stop } = JSON.parse(body) as { prompt: string; stop?: string[] };
      const n = attempts.get(prompt) ?? 0;
      attempts.set(prompt, n + 1);
      const mode = failure(n);
      if (mode === 'close') return req.socket.destroy();
      if (mode === '500') return res.writeHead(500).end('boom');
      if (mode === '400') return res.writeHead(400).end('bad request');
      seen.push(prompt);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ choices: [{ text: `echo:${prompt}:${(stop ?? []).join('|')}`, finish_reason: 'stop' }], usage: { completion_tokens: 3 } }));
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

describe('OpenAICompletionsClient', () => {
  it('adds /v1 to a bare server URL', () => {
    expect(normalizeBaseUrl('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000/v1');
    expect(normalizeBaseUrl('http://127.0.0.1:8000/v1/')).toBe('http://127.0.0.1:8000/v1');
  });

  it('retries 500s and dropped connections, losing and duplicating nothing', async () => {
    const { server, url, seen } = await misbehavingServer((n) => (n === 0 ? '500' : n === 1 ? 'close' : 'ok'));
    servers.push(server);
    const client = new OpenAICompletionsClient({ urls: [url], model: 'm', backoffMs: 1, concurrency: 4 });
    const prompts = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const out = await client.complete(prompts.map((prompt) => ({ prompt, maxTokens: 8, temperature: 0, stop: ['\n\n'] })));
    expect(out.map((o) => o.text)).toEqual(prompts.map((p) => `echo:${p}:\n\n`));
    expect([...seen].sort()).toEqual([...prompts].sort());
    expect(out[0]!.tokens).toBe(3);
  });

  it('spreads requests over several servers', async () => {
    const a = await misbehavingServer(() => 'ok');
    const b = await misbehavingServer(() => 'ok');
    servers.push(a.server, b.server);
    const client = new OpenAICompletionsClient({ urls: [a.url, b.url], model: 'm' });
    await client.complete(Array.from({ length: 10 }, (_, i) => ({ prompt: `q${i}`, maxTokens: 4, temperature: 0 })));
    expect(a.seen.length).toBe(5);
    expect(b.seen.length).toBe(5);
  });

  it('does not retry a client error and says so', async () => {
    const { server, url } = await misbehavingServer(() => '400');
    servers.push(server);
    const client = new OpenAICompletionsClient({ urls: [url], model: 'm', backoffMs: 1 });
    await expect(client.complete([{ prompt: 'x', maxTokens: 1, temperature: 0 }])).rejects.toThrow(/HTTP 400/);
  });

  it('reports an unreachable server in one line', async () => {
    const { server, url } = await misbehavingServer(() => 'ok');
    await new Promise((r) => server.close(r));
    const client = new OpenAICompletionsClient({ urls: [url], model: 'm', backoffMs: 1, maxAttempts: 2 });
    await expect(client.checkReachable()).rejects.toThrow(/unreachable/);
  });
});
