import { RhoError } from '@rho/core/base';

export interface DownloadOptions {
  /** Per attempt, whole body included. */
  timeoutMs?: number;
  attempts?: number;
  /** Wait before retry n is backoffMs * 2^(n-1). */
  backoffMs?: number;
  fetchImpl?: typeof fetch;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * The body of `url`, retried on network errors, timeouts and transient HTTP statuses. A
 * failure after the last attempt is a RUNTIME error naming the URL and pointing at `--from`.
 */
export async function download(url: string, opts: DownloadOptions = {}): Promise<Uint8Array> {
  const { timeoutMs = 120_000, attempts = 3, backoffMs = 1000, fetchImpl = fetch } = opts;
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
      if (!res.ok) {
        const err = new RhoError('RUNTIME', `HTTP ${res.status} ${res.statusText} for ${url}`, { url, got: res.status });
        if (!RETRYABLE_STATUS.has(res.status)) throw err;
        last = err;
      } else {
        return new Uint8Array(await res.arrayBuffer());
      }
    } catch (e) {
      if (e instanceof RhoError && !RETRYABLE_STATUS.has(e.context.got as number)) throw e;
      last = e;
    }
    if (attempt < attempts) await new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 1)));
  }
  const why = last instanceof Error ? describeNetworkError(last) : String(last);
  throw new RhoError(
    'RUNTIME',
    `could not download ${url} after ${attempts} attempt(s): ${why}`,
    {
      url,
      // the last HTTP status, if the server answered at all
      ...(last instanceof RhoError ? { got: last.context.got } : {}),
      hint:
        'no network here? copy the files from a machine that has them and run `pnpm data fetch --from DIR` ' +
        '(DIR laid out like the data directory, e.g. a copy of ../shared/upstream)',
    },
    { cause: last },
  );
}

function describeNetworkError(e: Error): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (e.name === 'TimeoutError') return 'timed out';
  if (cause?.code) return `${e.message} (${cause.code})`;
  return e.message;
}
