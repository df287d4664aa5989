import type { IncomingMessage } from 'node:http';
import { ApiError, badBody, bodyTooLarge } from './api-error.ts';

/**
 * A request's body as bytes, kept only while it stays within `maxBytes`: a declared length over the
 * limit is refused before any byte is read, and a chunked body the moment its count passes it
 * (what came is let go, and the rest is read and dropped until the connection closes). Bytes are
 * decoded only once the body is whole, so a character split across TCP writes arrives intact.
 * `onAccepted` runs once the declared length is known to fit (where a 100-continue is sent).
 */
export function readBody(req: IncomingMessage, maxBytes: number, o: { signal?: AbortSignal; onAccepted?: () => void } = {}): Promise<Buffer> {
  const { signal } = o;
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return Promise.reject(bodyTooLarge(maxBytes));
  if (signal?.aborted) return Promise.reject(signal.reason);
  o.onAccepted?.();
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (e: unknown, body?: Buffer) => {
      req.off('data', onData).off('end', onEnd).off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (body) resolve(body);
      else reject(e);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      chunks.length = 0;
      settle(bodyTooLarge(maxBytes));
      // flowing with no listener: the rest is dropped as it comes, never kept
      req.resume();
    };
    const onEnd = () => settle(null, Buffer.concat(chunks, size));
    const onClose = () => settle(new ApiError(400, 'the connection closed before the request body was complete'));
    const onAbort = () => settle(signal!.reason);
    // a reset connection is reported by 'close'; the listener keeps its 'error' from going unhandled
    req
      .on('data', onData)
      .on('end', onEnd)
      .on('close', onClose)
      .on('error', () => {});
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The body as JSON, decoded as UTF-8 whole; bytes that are not UTF-8, or text that is not JSON, are a 400. */
export function parseJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badBody('valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badBody('JSON');
  }
}
