import OpenAI from 'openai';

/** Statuses a later attempt (or another server) may answer: overload, timeouts, server faults. */
const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/** Whether a failed request is worth another attempt: dropped connections, timeouts and the statuses above. */
export function isRetryable(e: unknown): boolean {
  if (e instanceof OpenAI.APIUserAbortError) return false;
  if (e instanceof OpenAI.APIConnectionError) return true; // timeouts included (a subclass)
  if (e instanceof OpenAI.APIError) return e.status !== undefined && RETRYABLE_STATUS.has(e.status);
  return false;
}

/** Exponential backoff with full jitter: many clients retrying at once do not hit a server in step. */
export function backoffDelayMs(attempt: number, firstMs: number, maxMs = 30_000): number {
  return Math.min(maxMs, firstMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
}

/** One line for a failed request: the status and the server's own message when it sent one. */
export function describeFailure(e: unknown): string {
  if (e instanceof OpenAI.APIError && e.status !== undefined) {
    const body = e.error as { message?: unknown } | undefined;
    const msg = typeof body?.message === 'string' ? body.message : e.message;
    return `HTTP ${e.status} ${msg}`.slice(0, 300);
  }
  return (e as Error)?.message ?? String(e);
}
