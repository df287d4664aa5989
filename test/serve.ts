/** `pnpm serve` on a checkpoint over real HTTP on 127.0.0.1, for end-to-end tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '@rho/core/base';
import { NODE_TS } from './cli.ts';

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
  // node itself, not tsx's wrapper process: signals and the pid are the server's own
  const server = spawn(process.execPath, [...NODE_TS, resolve(REPO_ROOT, 'packages/eval/src/cli/serve.ts'), ckpt, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((res) => server.on('exit', (code) => res(code)));
  let stderr = '';
  server.stderr!.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    server.stdout!.on('data', (c) => {
      out += c;
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m) res(m[1]!);
    });
    server.on('exit', (code) => rej(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { url, stop: () => void server.kill('SIGTERM'), child: server, exited };
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
