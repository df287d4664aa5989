/** `pnpm serve` on a checkpoint over real HTTP on 127.0.0.1, for end-to-end tests. */
import type { ChildProcess } from 'node:child_process';
import { spawnServe } from '../scripts/serve-process.ts';

export interface Served {
  /** The base URL, …/v1. */
  url: string;
  /** SIGTERM: the server answers what is in flight, then exits. */
  stop: () => void;
  /** The server's process, e.g. for its pid. */
  child: ChildProcess;
  /** The exit code once it has exited. */
  exited: Promise<number | null>;
}

/** Starts the server on a free port; resolves once it listens. */
export async function startServe(ckpt: string, args: string[] = []): Promise<Served> {
  const p = await spawnServe(ckpt, args);
  return { url: p.url, stop: () => void p.stop(), child: p.child, exited: p.exited.then((e) => e.code) };
}

/** One greedy completion request to a freshly started server, which is stopped after it. */
export async function serveOnce(ckpt: string, prompt: string): Promise<{ status: number; text: string }> {
  const server = await startServe(ckpt);
  try {
    const r = await fetch(`${server.url}/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'x', prompt, max_tokens: 8, temperature: 0 }),
    });
    const body = (await r.json()) as { choices?: Array<{ text: string }> };
    return { status: r.status, text: body.choices?.[0]?.text ?? '' };
  } finally {
    server.stop();
  }
}
