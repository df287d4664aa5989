import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEngineApi } from '../engine/native-api.ts';
import { openNativeLm, type NativeLm } from '../engine/native-lm.ts';
import { argmax } from './sampling.ts';
import { ContinuousBatcher, sharedPrefix, type SequenceRequest } from './scheduler.ts';

const SHARED = resolve(__dirname, '../../../../../shared');
const have = existsSync(resolve(SHARED, 'fixtures')) && existsSync(resolve(SHARED, 'upstream/prompts/cot/gsm8k.md'));
const run = (loadEngineApi().ok || process.env.CI) && have ? describe : describe.skip;

/**
 * Real prompts: the upstream GSM8K few-shot block (its first 400 characters, to keep the tiny
 * models quick) and real test questions, as byte ids (the fixtures' vocabularies hold 256+ ids).
 */
function realPrompts(n: number): number[][] {
  const block = readFileSync(resolve(SHARED, 'upstream/prompts/cot/gsm8k.md'), 'utf8').slice(0, 400);
  const questions = readFileSync(resolve(SHARED, 'upstream/data/gsm8k/test.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, n)
    .map((l) => JSON.parse(l).question as string);
  return questions.map((q) => [1, ...new TextEncoder().encode(`${block}Question: ${q.slice(0, 80 + (q.length % 50))}\nAnswer:`)]);
}

const decode = (ids: number[]) => new TextDecoder().decode(Uint8Array.from(ids.filter((i) => i < 256)));

const CASES = ['tiny-llama', 'tiny-llama/bf16', 'tiny-mistral', 'tiny-mistral/bf16'];

run('continuous batching over the native engine', () => {
  const opened: NativeLm[] = [];
  afterAll(() => opened.forEach((m) => m.dispose()));

  for (const name of CASES) {
    it(`${name}: the same greedy tokens alone, in batches of any size, in any order, with and without the shared prefix`, async () => {
      const precision = name.endsWith('bf16') ? 'bf16' : 'fp32';
      const { lm } = await openNativeLm(resolve(SHARED, 'fixtures', name), { precision });
      opened.push(lm);
      const prompts = realPrompts(7);
      // varied lengths, and a stop string (a character the first sequence writes) that ends some early
      const free = lm.generate([prompts[0]!], { maxNewTokens: 12, eosId: null }).tokens[0]!;
      const stop = decode([free.find((t) => t >= 32 && t < 127) ?? free[4]!]);
      const reqs: SequenceRequest[] = prompts.map((prompt, i) => ({ prompt, maxNewTokens: 12 + 5 * i, eosId: null, stop: { strings: [stop], decode } }));
      const alone = reqs.map((r) => lm.generate([r.prompt], { maxNewTokens: r.maxNewTokens, eosId: null, stop: r.stop }));

      const plain = new ContinuousBatcher(lm, { maxBatch: 2, kvBudgetBytes: 1e9 });
      const c = lm.config;
      expect(plain.kvBytesPerToken).toBe(2 * c.numHiddenLayers * c.numKeyValueHeads * c.headDim * (precision === 'bf16' ? 2 : 4));
      const a = await Promise.all(reqs.map((r) => plain.submit(r)));
      expect(plain.stats.promptTokensCached).toBe(0);
      plain.close();

      const cached = new ContinuousBatcher(lm, { maxBatch: 5, kvBudgetBytes: 1e9, stepTokens: 64 });
      const shared = cached.setPrefix(prompts);
      expect(shared).toBeGreaterThan(300);
      // reversed, the first three first and the rest while those decode
      const order = reqs.map((_, i) => reqs.length - 1 - i);
      const first = order.slice(0, 3).map((i) => cached.submit(reqs[i]!));
      await new Promise((r) => setImmediate(r));
      const rest = order.slice(3).map((i) => cached.submit(reqs[i]!));
      const b = new Array(reqs.length);
      (await Promise.all([...first, ...rest])).forEach((res, k) => (b[order[k]!] = res));
      const total = prompts.reduce((s, p) => s + p.length, 0);
      expect(cached.stats.promptTokensCached).toBe(prompts.length * shared);
      expect(cached.stats.promptTokensComputed).toBe(total - prompts.length * shared);
      cached.close();

      alone.forEach((g, i) => {
        expect(a[i]!.tokens, `sequence ${i}, batch 2`).toEqual(g.tokens[0]);
        expect(b[i]!.tokens, `sequence ${i}, prefix, batch 5`).toEqual(g.tokens[0]);
        expect(a[i]!.stopReason).toBe(g.stopReason[0]);
        expect(b[i]!.text).toBe(g.texts![0]);
      });
      expect(alone.some((g) => g.stopReason[0] === 'stop')).toBe(true);
    }, 120_000);
  }

  it('runs one sequence at a time when the key/value budget holds only one, and refuses bad requests', async () => {
    const { lm } = await openNativeLm(resolve(SHARED, 'fixtures/tiny-llama'), { precision: 'fp32' });
    opened.push(lm);
    const prompts = realPrompts(3);
    const s = new ContinuousBatcher(lm, { maxBatch: 3, kvBudgetBytes: 1 });
    const out = await Promise.all(prompts.map((prompt) => s.submit({ prompt, maxNewTokens: 5, eosId: null })));
    expect(out.map((o) => o.tokens.length)).toEqual([5, 5, 5]);
    expect(s.stats.rowsInSteps).toBe(s.stats.steps); // never two at once
    await expect(s.submit({ prompt: [], maxNewTokens: 3 })).rejects.toThrow(/empty/);
    await expect(s.submit({ prompt: [1, 999999], maxNewTokens: 3 })).rejects.toThrow(/999999/);
    s.close();
    await expect(s.submit({ prompt: [1], maxNewTokens: 3 })).rejects.toThrow(/closed/);
  });

  it('hands each token and its logits to onToken, and a cancelled sequence frees its row at once', async () => {
    const { lm } = await openNativeLm(resolve(SHARED, 'fixtures/tiny-llama'), { precision: 'fp32' });
    opened.push(lm);
    const [p0, p1, p2] = realPrompts(3);
    const s = new ContinuousBatcher(lm, { maxBatch: 1, kvBudgetBytes: 1e9 });
    const seen: number[] = [];
    const r = await s.submit({
      prompt: p0!,
      maxNewTokens: 6,
      eosId: null,
      onToken: (t, logits) => (expect(logits.length).toBe(lm.config.vocabSize), seen.push(argmax(logits)), expect(t).toBe(seen.at(-1))),
    });
    expect(seen).toEqual(r.tokens);

    // one row: the cancelled sequence holds it until cancelled, then the waiting one runs
    const ac = new AbortController();
    let streamed = 0;
    const long = s.submit({ prompt: p1!, maxNewTokens: 10_000, eosId: null, signal: ac.signal, onToken: () => ++streamed === 3 && ac.abort() });
    const next = s.submit({ prompt: p2!, maxNewTokens: 4, eosId: null });
    await expect(long).rejects.toThrow(/cancelled/);
    expect(streamed).toBe(3);
    expect((await next).tokens.length).toBe(4);
    expect(s.active).toBe(0);
    // cancelled while waiting, and before submitting
    const gone = new AbortController();
    const running = s.submit({ prompt: p0!, maxNewTokens: 3, eosId: null });
    const waiting = s.submit({ prompt: p1!, maxNewTokens: 3, eosId: null, signal: gone.signal });
    gone.abort();
    await expect(waiting).rejects.toThrow(/cancelled/);
    expect((await running).tokens.length).toBe(3);
    await expect(s.submit({ prompt: p0!, maxNewTokens: 3, signal: gone.signal })).rejects.toThrow(/cancelled/);
    expect(s.waiting).toBe(0);
    s.close();
  });

  it('sharedPrefix is the longest common token prefix', () => {
    expect(
      sharedPrefix([
        [1, 2, 3],
        [1, 2, 4],
        [1, 2],
      ]),
    ).toEqual([1, 2]);
    expect(sharedPrefix([[5], [6]])).toEqual([]);
    expect(sharedPrefix([])).toEqual([]);
  });
});
