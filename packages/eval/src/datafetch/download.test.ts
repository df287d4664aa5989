import { describe, expect, it } from 'vitest';
import { RhoError } from '@rho/core/base';
import { download } from './download.ts';

/** A fetch that answers from a script of responses, counting calls. */
function scripted(...steps: (number | Error | 'hang')[]) {
  let calls = 0;
  const impl = (async (_url: string, init?: RequestInit) => {
    const step = steps[Math.min(calls++, steps.length - 1)]!;
    if (step === 'hang') {
      return new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    }
    if (step instanceof Error) throw step;
    return new Response(step === 200 ? 'body' : null, { status: step });
  }) as typeof fetch;
  return { impl, calls: () => calls };
}

describe('download', () => {
  it('retries transient statuses and network errors, then returns the body', async () => {
    const f = scripted(503, new TypeError('fetch failed'), 200);
    const body = await download('https://x.test/a', { fetchImpl: f.impl, backoffMs: 1 });
    expect(Buffer.from(body).toString()).toBe('body');
    expect(f.calls()).toBe(3);
  });

  it('does not retry a 404', async () => {
    const f = scripted(404, 200);
    await expect(download('https://x.test/missing', { fetchImpl: f.impl, backoffMs: 1 })).rejects.toThrow(/HTTP 404 .*x\.test\/missing/);
    expect(f.calls()).toBe(1);
  });

  it('times out a stalled server and says so, with the URL and the --from hint', async () => {
    const f = scripted('hang');
    const err = await download('https://x.test/slow', { fetchImpl: f.impl, timeoutMs: 30, attempts: 2, backoffMs: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(RhoError);
    expect(err.message).toBe('could not download https://x.test/slow after 2 attempt(s): timed out');
    expect(err.context.hint).toContain('pnpm data fetch --from DIR');
    expect(f.calls()).toBe(2);
  });

  it('keeps the last HTTP status when retries run out', async () => {
    const f = scripted(502);
    const err = await download('https://x.test/b', { fetchImpl: f.impl, attempts: 2, backoffMs: 1 }).catch((e) => e);
    expect(err.context.got).toBe(502);
  });
});
