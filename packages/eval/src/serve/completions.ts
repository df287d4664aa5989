import type { TokenModel } from '../backends/types.ts';
import type { EventStream } from './event-stream.ts';
import { choiceSpecs, promptLogprobs, roomFor, runChoice, type StreamPacing } from './generation.ts';
import type { TokenLogprob } from './logprobs.ts';
import { stopList, type CompletionBody } from './schema.ts';

/** What a request handler gets: the model, ids for answers, and whether the client is still there. */
export interface RequestContext {
  model: TokenModel;
  id: string;
  created: number;
  signal: AbortSignal;
  /** How a stream's pieces are paced: tokens per piece at most, milliseconds at least between pieces. */
  pacing: StreamPacing;
}

/** OpenAI's legacy `logprobs` object of a completion choice. */
interface LegacyLogprobs {
  tokens: string[];
  token_logprobs: Array<number | null>;
  top_logprobs: Array<Record<string, number> | null>;
  text_offset: number[];
}

/** Token ids, text and log-probabilities as the legacy format lists them; offsets count from `offset`. */
function legacyLogprobs(model: TokenModel, ids: number[], lps: Array<TokenLogprob | null>, offset: number): LegacyLogprobs {
  const out: LegacyLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  ids.forEach((id, i) => {
    const text = model.tokenText(id);
    const lp = lps[i] ?? null;
    out.tokens.push(text);
    out.token_logprobs.push(lp ? lp.logprob : null);
    // the chosen token is listed with the top k, as vLLM lists it
    out.top_logprobs.push(lp ? Object.fromEntries([...lp.top, lp].map((t) => [model.tokenText(t.id), t.logprob])) : null);
    out.text_offset.push(offset);
    offset += text.length;
  });
  return out;
}

/** New tokens of a completion that does not say, as OpenAI's API defaults them. */
const DEFAULT_MAX_TOKENS = 16;

/** A request's prompts as a list: one text, several texts, one list of ids, or several. */
export function promptList(p: CompletionBody['prompt']): Array<string | number[]> {
  if (typeof p === 'string') return [p];
  return (p as unknown[]).every((x) => typeof x === 'number') ? [p as number[]] : (p as Array<string | number[]>);
}

function concat(a: LegacyLogprobs, b: LegacyLogprobs): LegacyLogprobs {
  return {
    tokens: [...a.tokens, ...b.tokens],
    token_logprobs: [...a.token_logprobs, ...b.token_logprobs],
    top_logprobs: [...a.top_logprobs, ...b.top_logprobs],
    text_offset: [...a.text_offset, ...b.text_offset],
  };
}

/**
 * `/v1/completions` with vLLM's semantics: text or token-id prompts (one or many), `n` choices
 * each, `echo` (the prompt, and with `logprobs` its log-probabilities: `max_tokens: 0` scores a
 * prompt without generating), top-k `logprobs` of new tokens, `stop`, `seed`, and streaming.
 * Choice i*n+j is prompt i's j-th; every choice decodes at once, in the model's shared batch.
 */
export async function completions(ctx: RequestContext, b: CompletionBody, stream: EventStream | null): Promise<unknown> {
  const { model } = ctx;
  const prompts = promptList(b.prompt);
  const n = b.n ?? 1;
  const echo = b.echo ?? false;
  const k = b.logprobs ?? null;
  const stop = stopList(b.stop);
  const specOf = choiceSpecs(b, { stop, logprobs: k, signal: ctx.signal, ...ctx.pacing });
  const jobs = prompts.map((p) => {
    const ids = typeof p === 'string' ? model.encode(p) : p;
    return { ids, text: typeof p === 'string' ? p : model.decode(ids), room: roomFor(model, ids, b.max_tokens ?? null, DEFAULT_MAX_TOKENS, 'prompt') };
  });
  // the prompt's own log-probabilities once per prompt, whatever n
  const echoed = await Promise.all(
    jobs.map(async (job) => (echo && k !== null ? legacyLogprobs(model, job.ids, await promptLogprobs(model, job.ids, k), 0) : null)),
  );
  const chunk = (choices: unknown[], usage?: unknown) => ({
    id: ctx.id,
    object: 'text_completion',
    created: ctx.created,
    model: model.name,
    choices,
    ...(usage ? { usage } : {}),
  });

  const choices = await Promise.all(
    jobs.flatMap((job, p) =>
      Array.from({ length: n }, async (_, j) => {
        const index = p * n + j;
        const head = echo ? job.text : '';
        // the echoed prompt goes first, as vLLM streams it
        if (stream && echo) stream.send(chunk([{ index, text: head, logprobs: echoed[p], finish_reason: null }]));
        let offset = head.length;
        const lpsOf = (ids: number[], lps: TokenLogprob[]) => {
          const out = legacyLogprobs(model, ids, lps, offset);
          offset += out.tokens.reduce((a, t) => a + t.length, 0);
          return out;
        };
        const r = await runChoice(
          model,
          specOf(index, job.ids, job.room),
          stream
            ? (piece, lps) =>
                stream.send(
                  chunk([
                    {
                      index,
                      text: piece,
                      logprobs:
                        k === null
                          ? null
                          : lpsOf(
                              lps.map((l) => l.id),
                              lps,
                            ),
                      finish_reason: null,
                    },
                  ]),
                )
            : undefined,
        );
        if (stream) {
          stream.send(
            chunk([
              {
                index,
                text: r.rest,
                logprobs:
                  k === null
                    ? null
                    : lpsOf(
                        r.restLogprobs.map((l) => l.id),
                        r.restLogprobs,
                      ),
                finish_reason: r.finishReason,
              },
            ]),
          );
          return { tokens: r.tokens.length };
        }
        const generated =
          k === null
            ? null
            : legacyLogprobs(
                model,
                r.logprobs.map((l) => l.id),
                r.logprobs,
                head.length,
              );
        const logprobs = echoed[p] && generated ? concat(echoed[p], generated) : (echoed[p] ?? generated);
        return { tokens: r.tokens.length, choice: { index, text: head + r.text, logprobs, finish_reason: r.finishReason } };
      }),
    ),
  );
  const promptTokens = jobs.reduce((a, j) => a + j.ids.length, 0);
  const completionTokens = choices.reduce((a, c) => a + c.tokens, 0);
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  if (stream) {
    if (b.stream_options?.include_usage) stream.send(chunk([], usage));
    stream.done();
    return undefined;
  }
  return chunk(
    choices.map((c) => c.choice),
    usage,
  );
}
