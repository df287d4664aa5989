import { request } from 'node:http';
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
      req.end(JSON.stringify({ prompt: 'x', max_tokens: 10_000, stream: true, n: 2 }));
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
});
