import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';

const UPSTREAM = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');

function evalCli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'packages/eval/src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
}

describe('pnpm eval prompt', () => {
  it('prints the prompt the Python harness builds for a problem, from the data directory on disk', () => {
    // sha256 prefix and code-point length of the Python harness's construct_prompt output for
    // svamp idx 0 with cot demos (gsm8k's few-shot file, Question/Answer framing)
    const res = evalCli('prompt', 'svamp', '--idx', '0', '--prompt-type', 'cot', '--json', '--data-dir', UPSTREAM);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { idx: number; prompt: string; stop: string[] };
    expect(out.idx).toBe(0);
    expect(createHash('sha256').update(out.prompt).digest('hex').slice(0, 16)).toBe('f62ab33ea16e8422');
    expect([...out.prompt].length).toBe(2442);
    expect(out.stop).toEqual(['</s>', '\n\nQuestion:', '\n\nProblem:']);
  });

  it('names the known datasets for an unknown one and exits non-zero', () => {
    const res = evalCli('prompt', 'gsm9k', '--data-dir', UPSTREAM);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/unknown dataset "gsm9k"; known: gsm8k, math, minerva_math/);
  });
});
