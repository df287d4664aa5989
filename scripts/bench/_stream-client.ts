/**
 * A lean streaming client for `pnpm bench serve`: what a load generator does (vLLM's
 * benchmark_serving reads the event stream by hand too), so that on a machine shared with the
 * server the clients take as little of it as they can. The events are parsed only until the first
 * text arrives (its time is the time to first token) and at the end (the usage chunk); the rest
 * is counted in bytes. The official SDK stays the reference client for correctness (the e2e tests).
 */
import { type Agent, request } from 'node:http';

export interface StreamOutcome {
  /** Milliseconds from sending the request to the first event carrying text; NaN when none did. */
  ttftMs: number;
  /** The server's count of generated tokens, from the usage chunk. */
  completionTokens: number;
}

interface Chunk {
  choices?: Array<{ text?: string }>;
  usage?: { completion_tokens?: number } | null;
}

/** One streamed completion at `url` (…/v1); rejects on a status other than 200 or a stream without its end. */
export function leanStream(agent: Agent, url: string, body: Record<string, unknown>): Promise<StreamOutcome> {
  const payload = JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/completions`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        res.setEncoding('utf8');
        let head = ''; // events before the first text, parsed
        let tail = ''; // the stream's last bytes: the usage chunk and [DONE]
        let ttftMs = Number.NaN;
        res.on('data', (s: string) => {
          tail = (tail + s).slice(-4096);
          if (!Number.isNaN(ttftMs) || res.statusCode !== 200) return;
          head += s;
          const events = head.split('\n\n');
          head = events.pop()!;
          for (const e of events) {
            if (!e.startsWith('data: {')) continue;
            if ((JSON.parse(e.slice(6)) as Chunk).choices?.[0]?.text) {
              ttftMs = performance.now() - t0;
              break;
            }
          }
        });
        res.on('error', reject);
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${tail.slice(0, 300)}`));
          const events = tail.split('\n\n').filter((e) => e.length > 0);
          if (events.at(-1) !== 'data: [DONE]') return reject(new Error(`the stream did not end with data: [DONE]: …${tail.slice(-200)}`));
          const usage = (JSON.parse(events.at(-2)!.slice(6)) as Chunk).usage;
          if (typeof usage?.completion_tokens !== 'number') return reject(new Error(`no usage chunk before [DONE]: …${tail.slice(-300)}`));
          resolve({ ttftMs, completionTokens: usage.completion_tokens });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
