import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, DATA } from './cli.ts';

describe('pnpm eval compare', () => {
  it('puts the re-scored released outputs beside the published table', async () => {
    const res = await cli('eval', ['compare', resolve(DATA, 'reference-outputs'), '--published', 'rho-math-7b-v0.1', '--json', '--data-dir', DATA]);
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
