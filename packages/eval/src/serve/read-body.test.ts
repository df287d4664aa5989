import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.ts';
import { parseJsonBody, readBody } from './read-body.ts';

/** A request body arriving in the given writes. */
function request(writes: Uint8Array[], headers: Record<string, string> = {}): IncomingMessage {
  const s = new PassThrough();
  Object.assign(s, { headers });
  for (const w of writes) s.write(w);
  s.end();
  return s as unknown as IncomingMessage;
}

const status = (p: Promise<unknown>) =>
  p.then(
    () => 200,
    (e: unknown) => (e instanceof ApiError ? e.status : -1),
  );

describe('readBody', () => {
  it('joins the bytes before decoding: a character split across writes arrives whole', async () => {
    const bytes = Buffer.from(JSON.stringify({ prompt: 'café é€𝄞' }));
    const cut = bytes.indexOf(Buffer.from('€')) + 1;
    const body = await readBody(request([bytes.subarray(0, cut), bytes.subarray(cut)]), 1000);
    expect(parseJsonBody(body)).toEqual({ prompt: 'café é€𝄞' });
  });

  it('refuses a declared length over the limit before reading, and a chunked body once it passes it', async () => {
    const never = new PassThrough();
    Object.assign(never, { headers: { 'content-length': '1001' } });
    expect(await status(readBody(never as unknown as IncomingMessage, 1000))).toBe(413);
    expect(await status(readBody(request([Buffer.alloc(600), Buffer.alloc(600)]), 1000))).toBe(413);
    expect(await status(readBody(request([Buffer.alloc(600), Buffer.alloc(400)]), 1000))).toBe(200);
  });

  it('stops waiting when its signal aborts', async () => {
    const slow = new PassThrough();
    Object.assign(slow, { headers: {} });
    slow.write('{"a":');
    const ac = new AbortController();
    const read = readBody(slow as unknown as IncomingMessage, 1000, { signal: ac.signal });
    ac.abort(new Error('out of time'));
    await expect(read).rejects.toThrow('out of time');
  });
});

describe('parseJsonBody', () => {
  it('is a 400 for bytes that are not UTF-8 and for text that is not JSON', () => {
    expect(() => parseJsonBody(Uint8Array.from([0x7b, 0xff, 0x7d]))).toThrow(/not valid UTF-8/);
    expect(() => parseJsonBody(Buffer.from('{nope'))).toThrow(/not JSON/);
    expect(() => parseJsonBody(Buffer.from('['.repeat(1e6)))).toThrow(/not JSON/);
  });
});
