/** `pnpm serve` on a checkpoint for one completion request over real HTTP on 127.0.0.1. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../packages/core/src/base.ts';
import { TSX } from './cli.ts';

export async function serveOnce(ckpt: string, prompt: string): Promise<{ status: number; text: string }> {
  const server = spawn(TSX, [resolve(REPO_ROOT, 'packages/eval/src/cli/serve.ts'), ckpt, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((res, rej) => {
      let out = '';
      server.stdout!.on('data', (c) => {
        out += c;
        const m = /at (http:\/\/\S+)/.exec(out);
        if (m) res(m[1]!);
      });
      server.on('exit', (code) => rej(new Error(`serve exited with ${code}`)));
    });
    const r = await fetch(`${url}/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'x', prompt, max_tokens: 8, temperature: 0 }),
    });
    const body = (await r.json()) as { choices?: Array<{ text: string }> };
    return { status: r.status, text: body.choices?.[0]?.text ?? '' };
  } finally {
    server.kill('SIGTERM');
  }
}
