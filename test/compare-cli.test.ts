import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../packages/core/src/base.ts';

const DATA = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');

describe('pnpm eval compare', () => {
  it('puts the re-scored released outputs beside the published table', () => {
    const res = spawnSync(
      resolve(REPO_ROOT, 'node_modules/.bin/tsx'),
      [resolve(REPO_ROOT, 'packages/eval/src/cli/main.ts'), 'compare', resolve(DATA, 'reference-outputs'), '--published', 'rho-math-7b-v0.1', '--json', '--data-dir', DATA],
      { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } },
    );
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/gsm8k\s+cot\s+66\.9\s+66\.8\s+66\.8\s+-0\.1/);
    const json = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { rows: Array<{ data: string; acc: number; published: number; delta: number }> };
    // Only the cot outputs sit beside a cot table; the tora run is left out.
    expect(json.rows.map((r) => [r.data, r.acc, r.published, r.delta])).toEqual([
      ['gsm8k', 66.8, 66.9, -0.1],
      ['minerva_math', 32.2, 31.0, 1.2],
    ]);
  });
});
