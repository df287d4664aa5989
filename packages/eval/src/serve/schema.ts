import { z } from 'zod';
import { badRequest } from './api-error.ts';

/**
 * The request bodies, checked at the edge. Fields OpenAI defines that change nothing here
 * (`user`, penalties at 0, …) and fields nobody defines are dropped, not refused, as OpenAI's API
 * does; a field of the wrong type is a 400 naming it. Optional fields accept null: several
 * clients send `null` for "not set".
 */
const tokenIds = z.array(z.number().int().min(0)).min(1);
const sampling = {
  model: z.string().nullish(),
  temperature: z.number().min(0).max(10).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  n: z.number().int().min(1).max(64).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16), z.null()]).optional(),
  seed: z.number().int().nullish(),
};

export const CompletionBody = z.object({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.string()).min(1), tokenIds, z.array(tokenIds).min(1)]),
  max_tokens: z.number().int().min(0).nullish(),
  echo: z.boolean().nullish(),
  logprobs: z.number().int().min(0).max(20).nullish(),
});
export type CompletionBody = z.infer<typeof CompletionBody>;

const textPart = z.object({ type: z.literal('text'), text: z.string() });
export const ChatBody = z.object({
  ...sampling,
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
        content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
        name: z.string().nullish(),
      }),
    )
    .min(1),
  max_tokens: z.number().int().min(0).nullish(),
  max_completion_tokens: z.number().int().min(0).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
});
export type ChatBody = z.infer<typeof ChatBody>;

/** The body as the schema reads it, or a 400 naming the first field that does not fit. */
export function parseBody<S extends z.ZodType>(schema: S, json: unknown): z.infer<S> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw badRequest('the request body must be a JSON object');
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const param = issue.path.map(String).join('.') || null;
  throw badRequest(`${param ?? 'body'}: ${issue.message}`, param);
}

/** The stop strings of a request, as a list. */
export function stopList(stop: string | string[] | null | undefined): string[] {
  return stop == null ? [] : (typeof stop === 'string' ? [stop] : stop).filter((s) => s.length > 0);
}
