import type { TokenModel } from '../backends/types.ts';
import { badRequest } from './api-error.ts';
import { newTokenBudget } from './context-window.ts';
import { tokenLogprob, type TokenLogprob } from './logprobs.ts';
import { TextStream } from './text-stream.ts';

/** One choice to decode: the prompt's ids and how to sample (the request's fields, checked). */
export interface ChoiceSpec {
  prompt: number[];
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  stop: string[];
  /** Top log-probabilities per new token (0: the chosen token's only), or null for none. */
  logprobs: number | null;
  signal: AbortSignal;
  /**
   * Tokens per streamed piece at most (the first goes at once), as vLLM's `--stream-interval`:
   * fewer, larger events cost the server and its clients less per token.
   */
  streamInterval?: number;
  /**
   * Milliseconds at least between a stream's pieces: tokens that come sooner ride in the next
   * piece (the first token goes at once, the rest at the end). 0 or absent: every
   * `streamInterval` tokens.
   */
  streamIntervalMs?: number;
  /** The clock streamIntervalMs is measured on (milliseconds); performance.now by default. */
  now?: () => number;
}

/** The ChoiceSpec fields that pace a stream, the same for every request a server answers. */
export type StreamPacing = Pick<ChoiceSpec, 'streamInterval' | 'streamIntervalMs'>;

export interface ChoiceResult {
  text: string;
  tokens: number[];
  finishReason: 'stop' | 'length';
  /** The text (and log-probabilities) not yet streamed. */
  rest: string;
  restLogprobs: TokenLogprob[];
  logprobs: TokenLogprob[];
}

/**
 * Decodes one choice. With `onText`, the text streams as it becomes final, with the
 * log-probabilities of the tokens behind each piece; what remains comes back as `rest`.
 */
export async function runChoice(model: TokenModel, spec: ChoiceSpec, onText?: (piece: string, logprobs: TokenLogprob[]) => void): Promise<ChoiceResult> {
  if (spec.maxTokens === 0) return { text: '', tokens: [], finishReason: 'length', rest: '', restLogprobs: [], logprobs: [] };
  const logprobs: TokenLogprob[] = [];
  let pending: TokenLogprob[] = [];
  const tokens: number[] = [];
  const stream = onText ? new TextStream((ids) => model.decode(ids), spec.stop) : null;
  const interval = spec.streamInterval ?? 1;
  const gapMs = spec.streamIntervalMs ?? 0;
  const now = spec.now ?? (() => performance.now());
  let unsent = 0;
  let first = true;
  let sentAt = 0;
  const r = await model.generate({
    prompt: spec.prompt,
    maxTokens: spec.maxTokens,
    temperature: spec.temperature,
    topP: spec.topP,
    seed: spec.seed,
    stop: spec.stop,
    signal: spec.signal,
    onToken:
      stream || spec.logprobs !== null
        ? (token, logits) => {
            tokens.push(token);
            if (spec.logprobs !== null) {
              const lp = tokenLogprob(logits, token, spec.logprobs);
              logprobs.push(lp);
              pending.push(lp);
            }
            // after the first piece, tokens wait until there are `interval` of them and the
            // last piece is `gapMs` old: every event is a socket write and a wake-up of its client
            if (!stream) return;
            unsent++;
            if (!first && (unsent < interval || (gapMs > 0 && now() - sentAt < gapMs))) return;
            const piece = stream.push(tokens);
            if (piece) {
              unsent = 0;
              first = false;
              if (gapMs > 0) sentAt = now();
              onText!(piece, pending);
              pending = [];
            }
          }
        : undefined,
  });
  const rest = stream ? stream.finish(r.text) : r.text;
  return { text: r.text, tokens: r.tokens, finishReason: r.finishReason, rest, restLogprobs: pending, logprobs };
}

/**
 * The new tokens a prompt may have (see newTokenBudget), once its ids are known to be in the
 * vocabulary; `maxTokens` null when the client did not say.
 */
export function roomFor(model: TokenModel, ids: number[], maxTokens: number | null, defaultTokens: number, param: string): number {
  if (ids.length === 0) throw badRequest(`${param}: the prompt is empty`, param);
  for (const id of ids) if (id >= model.vocabSize) throw badRequest(`${param}: token id ${id} is outside the vocabulary (${model.vocabSize} ids)`, param);
  return newTokenBudget({ context: model.contextLength, promptTokens: ids.length, maxTokens, defaultTokens, param });
}

/** Log-probabilities of each prompt token given those before it (null for the first). */
export async function promptLogprobs(model: TokenModel, ids: number[], k: number): Promise<Array<TokenLogprob | null>> {
  const [logits] = await model.promptLogits([ids]);
  const v = model.vocabSize;
  return ids.map((id, t) => (t === 0 ? null : tokenLogprob(logits!.subarray((t - 1) * v, t * v), id, k)));
}

/**
 * The spec of each choice of one request: the request's sampling, stop strings, top-k, signal and
 * stream interval, and a seed of its own (choiceSeed) drawn from one base per request.
 */
export function choiceSpecs(
  b: { temperature?: number | null; top_p?: number | null; seed?: number | null },
  shared: Pick<ChoiceSpec, 'stop' | 'logprobs' | 'signal'> & StreamPacing,
): (index: number, prompt: number[], maxTokens: number) => ChoiceSpec {
  const base = (Math.random() * 2 ** 32) >>> 0;
  return (index, prompt, maxTokens) => ({
    ...shared,
    prompt,
    maxTokens,
    temperature: b.temperature ?? 1,
    topP: b.top_p ?? 1,
    seed: choiceSeed(b.seed, index, base),
  });
}

/** A per-choice seed: distinct choices of one request sample differently, and a seed reproduces them. */
export function choiceSeed(seed: number | null | undefined, index: number, base: number): number {
  return ((seed ?? base) * 1_000_003 + index) >>> 0;
}
