/**
 * `pnpm gate` end to end on the smoke recipe: it measures a baseline, passes against it (same seed
 * and backend give the same metrics), and fails when a regression is injected into the code path:
 * slm's selection made random, the grader's numeric tolerance loosened, a training step dropped.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { DATA, NODE_TS, run } from './cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rho-gate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const baseline = join(tmp, 'smoke.baseline.json');
const gate = (args: string[]) =>
  run(process.execPath, [
    ...NODE_TS,
    resolve(REPO_ROOT, 'scripts/gate.ts'),
    'smoke',
    '--baseline',
    baseline,
    '--out',
    join(tmp, 'run'),
    '--data-dir',
    DATA,
    ...args,
  ]);
const failedMetrics = (stdout: string) => [...stdout.matchAll(/^(\S+)\s.*\sFAIL$/gm)].map((m) => m[1]!);

describe('pnpm gate (smoke recipe)', { timeout: 900_000 }, () => {
  it('refuses an unknown recipe and a baseline missing a metric, before training', async () => {
    const unknown = await run(process.execPath, [...NODE_TS, resolve(REPO_ROOT, 'scripts/gate.ts'), 'no-such-recipe']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/unknown gate recipe "no-such-recipe"; known: .*default.*smoke/);
    const missing = await gate([]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no baseline/);
  });

  it('passes against the baseline it measured, and fails on each injected regression', async () => {
    const update = await gate(['--update']);
    expect(update.status, update.stderr).toBe(0);
    const b = JSON.parse(readFileSync(baseline, 'utf8')) as { metrics: Record<string, { value: number }> };
    expect(Object.keys(b.metrics)).toEqual(
      expect.arrayContaining(['reference.val_loss', 'clm.tokens', 'slm.tora_acc', 'slm.speedup', 'parity.rho-math-7b-v0.1.gsm8k.cot']),
    );
    // the released outputs' accuracies, recomputed (published: 66.8, 32.2, 81.3)
    expect(b.metrics['parity.rho-math-7b-v0.1.gsm8k.cot']!.value).toBeCloseTo(66.79, 1);
    expect(b.metrics['parity.rho-math-7b-v0.1.minerva_math.cot']!.value).toBeCloseTo(32.2, 1);
    expect(b.metrics['parity.rho-math-7b-interpreter-v0.1.gsm8k.tora']!.value).toBeCloseTo(81.27, 1);

    const pass = await gate(['--json']);
    expect(pass.status, pass.stdout + pass.stderr).toBe(0);
    expect(pass.stdout).toMatch(/gate passed/);
    const rows = (JSON.parse(pass.stdout.trim().split('\n').at(-1)!) as { rows: Array<{ baseline: number; value: number }> }).rows;
    for (const r of rows) expect(r.value).toBe(r.baseline);

    const random = await gate(['--inject', 'random-selection']);
    expect(random.status).toBe(1);
    const rf = failedMetrics(random.stdout);
    expect(rf.length).toBeGreaterThan(0);
    expect(
      rf.every((m) => m.startsWith('slm.')),
      rf.join(', '),
    ).toBe(true);

    const grader = await gate(['--inject', 'grader-tolerance']);
    expect(grader.status).toBe(1);
    const gf = failedMetrics(grader.stdout);
    expect(gf.length).toBeGreaterThan(0);
    expect(
      gf.every((m) => m.startsWith('parity.')),
      gf.join(', '),
    ).toBe(true);

    const dropped = await gate(['--inject', 'drop-step']);
    expect(dropped.status).toBe(1);
    expect(failedMetrics(dropped.stdout)).toEqual(expect.arrayContaining(['reference.tokens', 'clm.tokens', 'slm.tokens']));
  });

  it('a baseline that lacks a metric the gate measures is an error naming it', async () => {
    const b = JSON.parse(readFileSync(baseline, 'utf8')) as { metrics: Record<string, unknown> };
    delete b.metrics['slm.speedup'];
    writeFileSync(baseline, JSON.stringify(b));
    const r = await gate([]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/baseline has no value for slm\.speedup/);
    expect(r.stderr).toContain(baseline);
  });
});
