/**
 * The strict grader as a user runs it: `pnpm eval score --grader both` on a released outputs
 * file, `pnpm eval disagreements` on the same file, `pnpm eval equal --grader`, and the option
 * errors; real files, the real data directory, a fresh process each time.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, DATA } from './cli.ts';

const evalCli = (args: string[], input?: string) => cli('eval', args, { input });
const REL = 'rho-math-7b-v0.1/minerva_math/test_cot_-1_seed0_t0.0_s0_e-1.jsonl';
const FILE = join(DATA, 'reference-outputs', REL);
const rows = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('pnpm eval score --grader both, pnpm eval disagreements', () => {
  it('writes both verdicts per sample and both accuracies, and lists exactly the samples they part on', async () => {
    const out = mkdtempSync(join(tmpdir(), 'strict-'));
    const harnessOut = mkdtempSync(join(tmpdir(), 'strict-h-'));
    const [both, harness] = await Promise.all([
      evalCli(['score', FILE, '--out', out, '--data-dir', DATA, '--grader', 'both']),
      evalCli(['score', FILE, '--out', harnessOut, '--data-dir', DATA]),
    ]);
    expect(both.status, both.stderr).toBe(0);
    expect(harness.status, harness.stderr).toBe(0);
    expect(both.stdout).toMatch(/minerva_math\s+cot\s+harness\s+32\.2\s+strict\s+\d+\.\d\s+disagreements \d+/);

    const name = REL.split('/').pop()!;
    const graded = rows(join(out, name));
    const plain = rows(join(harnessOut, name));
    // the harness's fields are what a harness-only run writes
    graded.forEach((r, i) => {
      const { strict_pred: _p, strict_gt: _g, strict_score: _s, ...rest } = r;
      expect(rest).toEqual(plain[i]);
      expect(Array.isArray(r.strict_score) && Array.isArray(r.strict_pred) && typeof r.strict_gt === 'string').toBe(true);
    });
    const differ = graded.filter((r) => (r.score as boolean[])[0] !== (r.strict_score as boolean[])[0]).map((r) => r.idx);
    const strictRight = graded.filter((r) => (r.strict_score as boolean[])[0]).length;
    const metrics = JSON.parse(readFileSync(join(out, name.replace('.jsonl', '_cot_metrics.json')), 'utf8'));
    expect(metrics).toMatchObject({
      acc: 32.2,
      grader: 'both',
      disagreements: differ.length,
      strict_acc: Math.round((1000 * strictRight) / graded.length) / 10,
    });
    expect(differ.length).toBeGreaterThan(0);

    const d = await evalCli(['disagreements', FILE, '--data-dir', DATA, '--json']);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toContain(`${differ.length} of 500 samples differ`);
    const listed = JSON.parse(d.stdout.trim().split('\n').pop()!) as {
      files: Array<{ disagreements: Array<{ idx: number; harness: boolean; strict: boolean; strictPred: string; pred: string | null }> }>;
    };
    const items = listed.files[0]!.disagreements;
    expect(items.map((x) => x.idx)).toEqual(differ);
    expect(items.every((x) => x.harness !== x.strict)).toBe(true);
  });

  it('--grader strict grades with the strict verdicts alone', async () => {
    const out = mkdtempSync(join(tmpdir(), 'strict-s-'));
    const res = await evalCli(['score', FILE, '--out', out, '--data-dir', DATA, '--grader', 'strict']);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/acc\s+\d+\.\d \(strict\)/);
    const graded = rows(join(out, REL.split('/').pop()!));
    expect(graded.every((r) => !('strict_score' in r))).toBe(true);
  });
});

describe('pnpm eval equal --grader', () => {
  it('gives both verdicts on answer pairs', async () => {
    const pairs = [
      { pred: '5 \\geq x', gt: 'x \\leq 5' },
      { pred: '[0,9)', gt: '(0,9)' },
      { pred: '28 pct', gt: '28\\%' },
    ];
    const res = await evalCli(['equal', '-', '--grader', 'both'], pairs.map((p) => JSON.stringify(p)).join('\n'));
    expect(res.status, res.stderr).toBe(0);
    const lines = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { strict_equal: boolean });
    expect(lines.map((l) => l.strict_equal)).toEqual([true, false, true]);
  });

  it('refuses a strict option without a strict grader, and an unknown grader', async () => {
    const a = await evalCli(['equal', '--pred', '1', '--gt', '1', '--strict-precision', '3']);
    expect(a.status).not.toBe(0);
    expect(a.stderr).toMatch(/--grader strict or --grader both/);
    const b = await evalCli(['score', FILE, '--grader', 'sympy']);
    expect(b.status).not.toBe(0);
    expect(b.stderr).toMatch(/harness, strict, both/);
  });

  it('has --help on the new command', async () => {
    const res = await evalCli(['disagreements', '--help']);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/--strict-precision/);
  });
});
