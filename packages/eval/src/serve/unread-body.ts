import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The connection of a request answered before its body was read (too large, a full queue).
 * Closing it at once would reset a client still sending, often before it reads the answer; so the
 * rest is read and dropped (never kept) for at most `lingerMs`, and the connection closes then if
 * the body has not ended. A body that ends in time leaves the connection as keep-alive promised:
 * closing it after all would race a client reusing it for its next request. A client waiting for
 * 100-continue sends nothing more: its connection closes with the answer. Call before the answer
 * is written.
 */
export function endAfterAnswer(req: IncomingMessage, res: ServerResponse, o: { lingerMs: number; awaitingContinue: boolean }): void {
  if (o.awaitingContinue) return void res.setHeader('connection', 'close');
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), o.lingerMs);
  socket.once('close', () => clearTimeout(timer));
  req.once('end', () => clearTimeout(timer));
  req.resume();
}
