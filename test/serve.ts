/** `pnpm serve` on a checkpoint over real HTTP on 127.0.0.1, for end-to-end tests. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '@rho/core/base';
import { TSX } from './cli.ts';

/** Starts the server on a free port; resolves with its base URL (…/v1) once it listens. */
export async function startServe(ckpt: string, args: string[] = []): Promise<{ url: string; stop: () => void }> {
  const server = spawn(TSX, [resolve(REPO_ROOT, 'packages/eval/src/cli/serve.ts'), ckpt, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    server.stdout!.on('data', (c) => {
      out += c;
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m) res(m[1]!);
    });
    server.on('exit', (code) => rej(new Error(`serve exited with ${code}`)));
  });
  return { url, stop: () => void server.kill('SIGTERM') };
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
