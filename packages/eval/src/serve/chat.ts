import { ApiError } from './api-error.ts';
import type { ChatTemplate } from './chat-template.ts';
import type { RequestContext } from './completions.ts';
import type { EventStream } from './event-stream.ts';
import { choiceSpecs, roomFor, runChoice } from './generation.ts';
import type { TokenLogprob } from './logprobs.ts';
import { stopList, type ChatBody } from './schema.ts';

/** Chat's `logprobs.content`: each token with its bytes and its top alternatives. */
function chatLogprobs(ctx: RequestContext, lps: TokenLogprob[]) {
  const entry = (id: number, logprob: number) => {
    const token = ctx.model.tokenText(id);
    return { token, logprob, bytes: [...Buffer.from(token, 'utf8')] };
  };
  return { content: lps.map((lp) => ({ ...entry(lp.id, lp.logprob), top_logprobs: lp.top.map((t) => entry(t.id, t.logprob)) })) };
}

/**
 * `/v1/chat/completions`: the messages rendered with the checkpoint's chat template, then decoded
 * as a completion (`n` choices, `stop`, `seed`, `logprobs`/`top_logprobs`, streaming). Without
 * `max_tokens` a choice may use what the context has left, as vLLM allows.
 */
export async function chatCompletions(ctx: RequestContext, template: ChatTemplate | null, b: ChatBody, stream: EventStream | null): Promise<unknown> {
  if (!template) {
    throw new ApiError(
      400,
      'this checkpoint has no chat template (no chat_template in its tokenizer_config.json): use /v1/completions, or add a chat_template',
      'messages',
      'no_chat_template',
    );
  }
  const { model } = ctx;
  const messages = b.messages.map((m) => ({
    role: m.role,
    content: typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => p.text).join(''),
  }));
  // the rendered text holds its own BOS where the template wants one
  const ids = model.encode(template.render(messages), { special: false });
  const room = roomFor(model, ids, b.max_completion_tokens ?? b.max_tokens ?? null, Infinity, 'messages');
  const n = b.n ?? 1;
  const k = b.logprobs ? (b.top_logprobs ?? 0) : null;
  const stop = stopList(b.stop);
  const specOf = choiceSpecs(b, { stop, logprobs: k, signal: ctx.signal, ...ctx.pacing });
  const chunk = (choices: unknown[], usage?: unknown) => ({
    id: ctx.id,
    object: stream ? 'chat.completion.chunk' : 'chat.completion',
    created: ctx.created,
    model: model.name,
    choices,
    ...(usage ? { usage } : {}),
  });

  const choices = await Promise.all(
    Array.from({ length: n }, async (_, index) => {
      stream?.send(chunk([{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
      const r = await runChoice(
        model,
        specOf(index, ids, room),
        stream
          ? (piece, lps) =>
              stream.send(chunk([{ index, delta: { content: piece }, logprobs: k === null ? null : chatLogprobs(ctx, lps), finish_reason: null }]))
          : undefined,
      );
      if (stream) {
        stream.send(
          chunk([
            { index, delta: r.rest ? { content: r.rest } : {}, logprobs: k === null ? null : chatLogprobs(ctx, r.restLogprobs), finish_reason: r.finishReason },
          ]),
        );
        return { tokens: r.tokens.length };
      }
      return {
        tokens: r.tokens.length,
        choice: {
          index,
          message: { role: 'assistant', content: r.text },
          logprobs: k === null ? null : chatLogprobs(ctx, r.logprobs),
          finish_reason: r.finishReason,
        },
      };
    }),
  );
  const completionTokens = choices.reduce((a, c) => a + c.tokens, 0);
  const usage = { prompt_tokens: ids.length, completion_tokens: completionTokens, total_tokens: ids.length + completionTokens };
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
