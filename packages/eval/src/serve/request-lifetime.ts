import { setMaxListeners } from 'node:events';
import type { ServerResponse } from 'node:http';

/** Why a request stopped before its answer was complete. */
export type Cut = 'client-gone' | 'timeout';

/** The reason an aborted request's work is given. */
export class RequestCut extends Error {
  constructor(readonly cut: Cut) {
    super(cut === 'timeout' ? 'the request ran out of time' : 'the client closed the connection');
  }
}

/**
 * One request's time on the server: it ends when the client hangs up or when `timeoutMs` has
 * passed, whichever comes first. Either aborts `signal`, which drops the request's sequences and
 * frees their rows and key/value memory at once.
 */
export class RequestLifetime {
  private readonly ac = new AbortController();
  private readonly timers: NodeJS.Timeout[];
  private received = false;
  cut: Cut | null = null;

  /** `receiveMs`: the body must have arrived by then (a client trickling bytes holds a slot). */
  constructor(res: ServerResponse, o: { timeoutMs: number; receiveMs: number }) {
    // each of the request's sequences listens (n up to 64 per prompt): not a leak
    setMaxListeners(0, this.ac.signal);
    res.on('close', () => res.writableFinished || this.end('client-gone'));
    this.timers = [setTimeout(() => this.end('timeout'), o.timeoutMs), setTimeout(() => this.received || this.end('timeout'), o.receiveMs)];
  }

  /** Whether the request's body had arrived whole when it was cut (a 504 then, else a 408). */
  get bodyReceived(): boolean {
    return this.received;
  }

  bodyArrived(): void {
    this.received = true;
    clearTimeout(this.timers[1]);
  }

  get signal(): AbortSignal {
    return this.ac.signal;
  }

  /**
   * `work`, or the cut if it comes first: work that does not watch the signal (a forward pass
   * already running) must not hold the answer past the deadline; it finishes unheard.
   */
  race<T>(work: Promise<T>): Promise<T> {
    work.catch(() => {});
    if (this.signal.aborted) return Promise.reject(this.signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onCut = () => reject(this.signal.reason);
      this.signal.addEventListener('abort', onCut, { once: true });
      work.then(resolve, reject).finally(() => this.signal.removeEventListener('abort', onCut));
    });
  }

  /** The answer is complete: no deadline any more. */
  dispose(): void {
    this.timers.forEach(clearTimeout);
  }

  private end(cut: Cut): void {
    if (this.cut) return;
    this.cut = cut;
    this.ac.abort(new RequestCut(cut));
  }
}
