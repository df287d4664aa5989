/**
 * `pnpm serve` on 127.0.0.1 driven by the official `openai` SDK, as a new user would: completions,
 * n, streaming, echo + logprobs for prompt scoring, chat with the checkpoint's chat template, and
 * bad input answered in OpenAI's error shape without harming the server.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCausalLm, Tokenizer, type CausalLm } from '@rho/core';
import { startServe } from './serve.ts';
import { tinyCheckpoint } from './tiny-checkpoint.ts';

const root = mkdtempSync(join(tmpdir(), 'serve-openai-'));
const plain = join(root, 'plain');
const chatty = join(root, 'chatty');
const CONTEXT = 256;
// a template of the usual shape: BOS, one line per message, then the assistant's turn
const TEMPLATE = '{{ bos_token }}{% for m in messages %}{{ m.role | upper }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}';
const PROMPT = 'Question: Natalia sold clips to 48 of her friends in April. How many clips did she sell?\nAnswer:';

let servers: Array<{ url: string; stop: () => void }> = [];
let client: OpenAI;
let noChat: OpenAI;
let held: OpenAI;
let lm: CausalLm;
let tok: Tokenizer;

beforeAll(async () => {
  await tinyCheckpoint(root, plain, { problems: 200, maxPositions: CONTEXT });
  cpSync(plain, chatty, { recursive: true });
  writeFileSync(join(chatty, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', chat_template: TEMPLATE }));
  // the first streams every token; the second 5 tokens per event at most (vLLM's
  // --stream-interval); the third holds a stream's tokens for a minute after its first event
  servers = await Promise.all([
    startServe(chatty, ['--stream-interval-ms', '0']),
    startServe(plain, ['--stream-interval', '5', '--stream-interval-ms', '0']),
    startServe(plain, ['--stream-interval-ms', '60000']),
  ]);
  client = new OpenAI({ baseURL: servers[0]!.url, apiKey: 'none', maxRetries: 0 });
  noChat = new OpenAI({ baseURL: servers[1]!.url, apiKey: 'none', maxRetries: 0 });
  held = new OpenAI({ baseURL: servers[2]!.url, apiKey: 'none', maxRetries: 0 });
  // the local model, on the engine and precision the server chose (both: auto)
  lm = (await openCausalLm(chatty)).lm;
  tok = Tokenizer.fromFile(join(chatty, 'tokenizer.json'));
}, 300_000);

afterAll(() => {
  servers.forEach((s) => s.stop());
  lm?.dispose();
  rmSync(root, { recursive: true, force: true });
});

const greedy = { model: 'chatty', temperature: 0 } as const;

/** PROMPT streamed greedily by the plain checkpoint: the text joined, and the tokens each event carried. */
async function streamedPieces(server: OpenAI): Promise<{ joined: string; sizes: number[] }> {
  const stream = await server.completions.create({
    ...greedy,
    model: 'plain',
    prompt: PROMPT,
    max_tokens: 24,
    stream: true,
    stream_options: { include_usage: true },
    logprobs: 0,
  });
  let joined = '';
  const sizes: number[] = [];
  for await (const c of stream) {
    const choice = c.choices[0];
    if (!choice) continue;
    joined += choice.text;
    sizes.push(choice.logprobs?.tokens?.length ?? 0);
  }
  return { joined, sizes };
}

describe('pnpm serve through the official openai SDK', { timeout: 120_000 }, () => {
  it('completes a prompt as the local model does', async () => {
    const r = await client.completions.create({ ...greedy, prompt: PROMPT, max_tokens: 12 });
    const ids = tok.encode(PROMPT);
    const local = lm.generate([ids], { maxNewTokens: 12 });
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0]!.text).toBe(tok.decode(local.tokens[0]!, { skipSpecial: true }));
    expect(r.usage).toEqual({ prompt_tokens: ids.length, completion_tokens: local.tokens[0]!.length, total_tokens: ids.length + local.tokens[0]!.length });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['chatty']);
    expect((await fetch(servers[0]!.url.replace(/\/v1$/, '/health'))).status).toBe(200);
  });

  it('answers n: 3 with three choices, sampled apart, reproducible with a seed', async () => {
    const ask = () => client.completions.create({ model: 'chatty', prompt: [PROMPT, 'Question: 2+2?'], max_tokens: 10, temperature: 1, n: 3, seed: 7 });
    const r = await ask();
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(r.choices.slice(0, 3).map((c) => c.text)).size).toBeGreaterThan(1);
    expect((await ask()).choices.map((c) => c.text)).toEqual(r.choices.map((c) => c.text));
  });

  it('streams chunks that join to the text it answers unstreamed, with and without a stop string', async () => {
    const whole = await client.completions.create({ ...greedy, prompt: PROMPT, max_tokens: 24 });
    const text = whole.choices[0]!.text;
    // a stop string from the middle of the greedy text: the streamed text must end before it too
    const stop = text.slice(10, 12);
    const stopped = await client.completions.create({ ...greedy, prompt: PROMPT, max_tokens: 24, stop: [stop] });
    expect(stopped.choices[0]!.text).toBe(text.slice(0, text.indexOf(stop)));
    const cases: Array<[string, { stop?: string[] }]> = [
      [text, {}],
      [stopped.choices[0]!.text, { stop: [stop] }],
    ];
    for (const [want, extra] of cases) {
      const stream = await client.completions.create({
        ...greedy,
        prompt: PROMPT,
        max_tokens: 24,
        stream: true,
        stream_options: { include_usage: true },
        ...extra,
      });
      let joined = '';
      let chunks = 0;
      let finish: string | null = null;
      let usage: unknown = null;
      for await (const c of stream) {
        chunks++;
        joined += c.choices[0]?.text ?? '';
        finish = c.choices[0]?.finish_reason ?? finish;
        usage = c.usage ?? usage;
      }
      expect(joined).toBe(want);
      expect(chunks).toBeGreaterThan(2);
      expect(finish).toBe(want === text ? whole.choices[0]!.finish_reason : 'stop');
      expect(usage).toMatchObject({ prompt_tokens: tok.encode(PROMPT).length });
    }
  });

  it('with --stream-interval 5 streams the same text in pieces of up to 5 tokens, the first token at once', async () => {
    const ids = tok.encode(PROMPT);
    const local = lm.generate([ids], { maxNewTokens: 24 });
    expect(local.tokens[0]!.length, 'the greedy text is long enough to be cut into pieces').toBeGreaterThanOrEqual(10);
    const want = tok.decode(local.tokens[0]!, { skipSpecial: true });
    const { joined, sizes } = await streamedPieces(noChat);
    expect(joined).toBe(want);
    // one event per piece: the first token alone, then at most 5 tokens each (a held-back character may wait longer)
    expect(sizes[0]).toBe(1);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(local.tokens[0]!.length);
    expect(sizes.length).toBeLessThan(local.tokens[0]!.length / 2);
  });

  it('with --stream-interval-ms 60000 streams the first token at once and the rest in the last event', async () => {
    const ids = tok.encode(PROMPT);
    const local = lm.generate([ids], { maxNewTokens: 24 });
    const want = tok.decode(local.tokens[0]!, { skipSpecial: true });
    const { joined, sizes } = await streamedPieces(held);
    expect(joined).toBe(want);
    expect(sizes).toEqual([1, local.tokens[0]!.length - 1]);
  });

  it('scores a prompt: echo + logprobs with max_tokens 0 gives the local log-probabilities', async () => {
    const ids = tok.encode(PROMPT);
    const r = await client.completions.create({ model: 'chatty', prompt: ids, max_tokens: 0, echo: true, logprobs: 3 });
    const c = r.choices[0]!;
    expect(c.text).toBe(tok.decode(ids, { skipSpecial: true }));
    const lp = c.logprobs!;
    expect(lp.tokens).toHaveLength(ids.length);
    expect(lp.token_logprobs![0]).toBeNull();
    const losses = lm.tokenLosses([ids])[0]!;
    let worst = 0;
    for (let t = 1; t < ids.length; t++) worst = Math.max(worst, Math.abs(lp.token_logprobs![t]! + losses[t - 1]!));
    console.log(`prompt log-probabilities, pnpm serve vs local tokenLosses: ${ids.length} tokens, max |difference| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    // the top 3, and the prompt's own token, for every position after the first
    for (const top of lp.top_logprobs!.slice(1)) expect(Object.keys(top!).length).toBeGreaterThanOrEqual(3);
    expect(r.usage?.completion_tokens).toBe(0);
  });

  it('gives top logprobs of generated tokens, the chosen one the most likely at temperature 0', async () => {
    const r = await client.completions.create({ ...greedy, prompt: PROMPT, max_tokens: 5, logprobs: 2 });
    const lp = r.choices[0]!.logprobs!;
    expect(lp.token_logprobs).toHaveLength(r.usage!.completion_tokens);
    lp.top_logprobs!.forEach((top, i) => expect(Math.max(...Object.values(top!))).toBeCloseTo(lp.token_logprobs![i]!, 6));
  });

  it('chats through the checkpoint chat template, streamed or not', async () => {
    const messages = [
      { role: 'system' as const, content: 'You are terse.' },
      { role: 'user' as const, content: 'What is 2+2?' },
    ];
    const r = await client.chat.completions.create({ ...greedy, messages, max_tokens: 10 });
    const rendered = `<s>SYSTEM: You are terse.\nUSER: What is 2+2?\nASSISTANT:`;
    const ids = tok.encode(rendered, { addBos: false, addEos: false });
    expect(ids[0]).toBe(tok.bosId);
    expect(r.usage?.prompt_tokens).toBe(ids.length);
    const same = await client.completions.create({ ...greedy, prompt: ids, max_tokens: 10 });
    expect(r.choices[0]!.message).toEqual({ role: 'assistant', content: same.choices[0]!.text });
    const stream = await client.chat.completions.create({ ...greedy, messages, max_tokens: 10, stream: true });
    let joined = '';
    for await (const c of stream) joined += c.choices[0]?.delta.content ?? '';
    expect(joined).toBe(r.choices[0]!.message.content);
  });

  it('refuses chat clearly when the checkpoint has no chat template', async () => {
    const err = await noChat.chat.completions.create({ ...greedy, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('no_chat_template');
    expect((err as Error).message).toMatch(/no chat template/);
  });
});

describe('pnpm serve: bad input', { timeout: 120_000 }, () => {
  const post = (body: unknown) =>
    fetch(`${servers[0]!.url}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('ignores a field it does not know, as OpenAI does', async () => {
    const r = await post({ model: 'chatty', prompt: 'Hi', max_tokens: 2, temperature: 0, frobnicate: { deep: true } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { choices: unknown[] }).choices).toHaveLength(1);
  });

  it('refuses a field of the wrong type with a 400 naming it', async () => {
    for (const [field, value] of [
      ['max_tokens', '8'],
      ['n', 0],
      ['temperature', 'hot'],
      ['prompt', [1, 'x']],
      ['stream', 'yes'],
    ] as const) {
      const r = await post({ model: 'chatty', prompt: 'Hi', [field]: value });
      expect(r.status, field).toBe(400);
      const body = (await r.json()) as { error: { message: string; type: string; param: string; code: unknown } };
      expect(body.error.param).toBe(field);
      expect(body.error.message).toContain(field);
      expect(body.error.type).toBe('invalid_request_error');
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    }
    const notJson = await fetch(`${servers[0]!.url}/completions`, { method: 'POST', body: '{nope' });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${servers[0]!.url}/nothing`)).status).toBe(404);
  });

  it('refuses a prompt longer than the context', async () => {
    const err = await client.completions
      .create({ model: 'chatty', prompt: Array.from({ length: CONTEXT + 1 }, () => 5), max_tokens: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('prompt');
    const outside = await post({ prompt: [1, 999_999], max_tokens: 1 });
    expect(outside.status).toBe(400);
  });

  it('keeps serving when a client vanishes mid-stream', async () => {
    const ac = new AbortController();
    const stream = await client.completions.create({ model: 'chatty', prompt: PROMPT, max_tokens: 200, temperature: 1, stream: true }, { signal: ac.signal });
    let got = 0;
    try {
      // leave at once: events already read in the same packet would still be yielded after the abort
      for await (const _ of stream) {
        if (++got === 2) {
          ac.abort();
          break;
        }
      }
    } catch {
      // the SDK may report its own abort; either way the connection is gone
    }
    expect(got).toBe(2);
    const r = await client.completions.create({ ...greedy, prompt: PROMPT, max_tokens: 4 });
    expect(r.choices[0]!.finish_reason).toBe('length');
  });
});
