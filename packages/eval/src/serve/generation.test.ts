import { describe, expect, it } from 'vitest';
import type { GenerationRequest, GenerationResult, TokenModel } from '../backends/types.ts';
import { runChoice, type ChoiceSpec } from './generation.ts';

/** Token i is the letter 'a' + i; `generate` emits `maxTokens` of them, counting up. */
const letters: TokenModel = {
  name: 'letters',
  contextLength: 1024,
  vocabSize: 26,
  encode: (t) => [...t].map((c) => c.charCodeAt(0) - 97),
  decode: (ids) => ids.map((i) => String.fromCharCode(97 + i)).join(''),
  tokenText: (id) => String.fromCharCode(97 + id),
  promptLogits: async (rows) => rows.map((r) => new Float32Array(r.length * 26)),
  generate: async (req: GenerationRequest): Promise<GenerationResult> => {
    const tokens: number[] = [];
    for (let i = 0; i < req.maxTokens; i++) {
      tokens.push(i % 26);
      req.onToken?.(i % 26, new Float32Array(26));
    }
    return { tokens, text: letters.decode(tokens), finishReason: 'length' };
  },
};

const spec = (maxTokens: number, streamInterval?: number, timing?: Pick<ChoiceSpec, 'streamIntervalMs' | 'now'>): ChoiceSpec => ({
  prompt: [0],
  maxTokens,
  temperature: 0,
  topP: 1,
  seed: 0,
  stop: [],
  logprobs: 0,
  signal: new AbortController().signal,
  ...(streamInterval ? { streamInterval } : {}),
  ...timing,
});

async function pieces(maxTokens: number, interval?: number, timing?: Pick<ChoiceSpec, 'streamIntervalMs' | 'now'>, model: TokenModel = letters) {
  const out: Array<{ text: string; logprobs: number }> = [];
  const r = await runChoice(model, spec(maxTokens, interval, timing), (text, lps) => out.push({ text, logprobs: lps.length }));
  return { out, r };
}

/** `letters` on a clock of its own: each token comes `msPerToken` after the one before. */
function paced(msPerToken: number) {
  let t = 0;
  const model: TokenModel = { ...letters, generate: (req) => letters.generate({ ...req, onToken: (tok, l) => ((t += msPerToken), req.onToken?.(tok, l)) }) };
  return { model, now: () => t };
}

describe('runChoice streaming', () => {
  it('sends every token by default', async () => {
    const { out, r } = await pieces(10);
    expect(out.map((p) => p.text)).toEqual('abcdefghij'.split(''));
    expect(r.rest).toBe('');
  });

  it('with an interval: the first token at once, then pieces of that many tokens, the rest at the end, nothing lost', async () => {
    const { out, r } = await pieces(10, 4);
    expect(out.map((p) => p.text)).toEqual(['a', 'bcde', 'fghi']);
    // each piece carries the log-probabilities of its own tokens
    expect(out.map((p) => p.logprobs)).toEqual([1, 4, 4]);
    expect(r.rest).toBe('j');
    expect(r.restLogprobs).toHaveLength(1);
    expect(out.map((p) => p.text).join('') + r.rest).toBe(r.text);
  });

  it('with streamIntervalMs: tokens sooner than that after the last piece ride in the next one, nothing lost', async () => {
    // a token every 10 ms, pieces at least 25 ms apart: the first at once (t = 10), then at 40, 70, 100
    const { model, now } = paced(10);
    const { out, r } = await pieces(10, undefined, { streamIntervalMs: 25, now }, model);
    expect(out.map((p) => p.text)).toEqual(['a', 'bcd', 'efg', 'hij']);
    expect(out.map((p) => p.logprobs)).toEqual([1, 3, 3, 3]);
    expect(r.rest).toBe('');
    expect(out.map((p) => p.text).join('') + r.rest).toBe(r.text);
  });

  it('with streamIntervalMs: a stream slower than that sends every token; with an interval too, both must hold', async () => {
    const slow = paced(100);
    expect((await pieces(5, undefined, { streamIntervalMs: 50, now: slow.now }, slow.model)).out.map((p) => p.text)).toEqual(['a', 'b', 'c', 'd', 'e']);
    const fast = paced(10);
    const { out, r } = await pieces(10, 4, { streamIntervalMs: 25, now: fast.now }, fast.model);
    expect(out.map((p) => p.text)).toEqual(['a', 'bcde', 'fghi']);
    expect(r.rest).toBe('j');
  });
});
