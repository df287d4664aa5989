/**
 * `pnpm eval score` and `pnpm eval equal` as a user runs them: real files on disk, the real data
 * directory, a fresh process each time.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import { cli, DATA } from './cli.ts';

const evalCli = (args: string[], input?: string, env: NodeJS.ProcessEnv = {}) => cli('eval', args, { input, env });

function readJsonl(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A copy of a released outputs file with everything the harness derived removed. */
function strippedCopy(root: string, rel: string, limit?: number): string {
  const rows = readJsonl(join(DATA, 'reference-outputs', rel)).slice(0, limit);
  const path = join(root, rel);
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, `${rows.map(({ pred: _p, gt: _g, score: _s, ...rest }) => JSON.stringify(rest)).join('\n')}\n`);
  return path;
}

describe('pnpm eval score', () => {
  it('re-scores stripped outputs to the published accuracy, inferring dataset and prompt from the path', async () => {
    const root = mkdtempSync(join(tmpdir(), 'score-'));
    const rel = 'rho-math-7b-v0.1/minerva_math/test_cot_-1_seed0_t0.0_s0_e-1.jsonl';
    strippedCopy(root, rel);
    const out = join(root, 'out');
    const res = await evalCli(['score', root, '--out', out, '--data-dir', DATA]);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/minerva_math\s+cot\s+acc\s+32\.2/);
    const metrics = JSON.parse(readFileSync(join(out, rel.replace('.jsonl', '_cot_metrics.json')), 'utf8'));
    expect(metrics).toMatchObject({ num_samples: 500, num_scores: 500, acc: 32.2, empty_samples: 3, timeout_samples: 0 });
    const stored = new Map(readJsonl(join(DATA, 'reference-outputs', rel)).map((r) => [r.idx, (r.score as boolean[])[0]]));
    const ours = readJsonl(join(out, rel));
    expect(ours.every((r) => Array.isArray(r.pred) && typeof r.gt === 'string')).toBe(true);
    const agree = ours.filter((r) => (r.score as boolean[])[0] === stored.get(r.idx)).length / ours.length;
    expect(agree).toBeGreaterThanOrEqual(0.998);
  });

  it('writes beside the input in rescored/ by default, and honours --data/--prompt-type for other names', async () => {
    const root = mkdtempSync(join(tmpdir(), 'score-'));
    const src = strippedCopy(root, 'rho-math-7b-interpreter-v0.1/gsm8k/test_tora_-1_seed0_t0.0_s0_e-1.jsonl', 40);
    const renamed = join(root, 'mine.jsonl');
    writeFileSync(renamed, readFileSync(src));
    const res = await evalCli(['score', renamed, '--data', 'gsm8k', '--prompt-type', 'tora', '--data-dir', DATA]);
    expect(res.status, res.stderr).toBe(0);
    expect(existsSync(join(root, 'rescored', 'mine.jsonl'))).toBe(true);
    expect(existsSync(join(root, 'rescored', 'mine_tora_metrics.json'))).toBe(true);
    const noInfer = await evalCli(['score', renamed, '--data-dir', DATA]);
    expect(noInfer.status).not.toBe(0);
    expect(noInfer.stderr).toMatch(/--data and --prompt-type/);
  });

  it('re-runs pal programs in the sandbox to get their solution() values', async () => {
    const root = mkdtempSync(join(tmpdir(), 'score-'));
    const path = join(root, 'm/gsm8k/test_pal_2_seed0_t0.0_s0_e-1.jsonl');
    mkdirSync(resolve(path, '..'), { recursive: true });
    const program = (expr: string) => `Let me write a program.\n\`\`\`python\ndef solution():\n    x = ${expr}\n    return x\n\`\`\``;
    writeFileSync(
      path,
      `${[
        { idx: 0, code: [program('(16 - 3 - 4) * 2')] },
        { idx: 1, code: [program('2 + 2')] },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n')}\n`,
    );
    const res = await evalCli(['score', root, '--out', join(root, 'out'), '--data-dir', DATA]);
    expect(res.status, res.stderr).toBe(0);
    const rows = readJsonl(join(root, 'out/m/gsm8k/test_pal_2_seed0_t0.0_s0_e-1.jsonl'));
    expect(rows.map((r) => [r.pred, r.report, r.score])).toEqual([
      [['18'], ['Done'], [true]],
      [['4'], ['Done'], [false]],
    ]);
  });

  it('names file and line of a malformed line, and writes nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'score-'));
    // A good file first: it must not be written either when a later one is bad.
    strippedCopy(root, 'rho-math-7b-v0.1/gsm8k/test_cot_-1_seed0_t0.0_s0_e-1.jsonl', 5);
    const badPath = join(root, 'rho-math-7b-v0.1/svamp/test_cot_-1_seed0_t0.0_s0_e-1.jsonl');
    mkdirSync(resolve(badPath, '..'), { recursive: true });
    writeFileSync(badPath, '{"idx": 0, "code": ["The answer is 5"]}\n{"idx": 1, "code": [\n');
    const out = join(root, 'out');
    const res = await evalCli(['score', root, '--out', out, '--data-dir', DATA]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain(`${badPath}:2`);
    expect(existsSync(out) ? readdirSync(out, { recursive: true }).filter((f) => String(f).endsWith('.json') || String(f).endsWith('.jsonl')) : []).toEqual([]);
  });

  it('lists the known datasets for an unknown one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'score-'));
    const p = join(root, 'x.jsonl');
    writeFileSync(p, '{"idx": 0, "code": ["1"]}\n');
    const res = await evalCli(['score', p, '--data', 'gsm9k', '--prompt-type', 'cot', '--data-dir', DATA]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/unknown dataset "gsm9k"; known: .*gsm8k.*minerva_math/);
  });

  it('says how to get a missing data directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'score-'));
    const p = join(root, 'x.jsonl');
    writeFileSync(p, '{"idx": 0, "code": ["1"]}\n');
    const res = await evalCli(['score', p, '--data', 'gsm8k', '--prompt-type', 'cot'], undefined, { RHO_DATA_DIR: join(root, 'nope') });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/pnpm data fetch/);
  });
});

describe('pnpm eval equal', () => {
  it('checks one pair', async () => {
    const res = await evalCli(['equal', '--pred', '0.5', '--gt', '\\frac{1}{2}']);
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ pred: '0.5', gt: '\\frac{1}{2}', equal: true });
  });
  it('annotates each line of a pairs stream, keeping other fields', async () => {
    const input = [
      '{"id": "a", "pred": "\\\\dfrac{3}{4}", "gt": "0.75"}',
      '{"id": "b", "pred": "(1,2)", "gt": "(2,1)"}',
      '{"id": "c", "pred": null, "gt": "1"}',
    ].join('\n');
    const res = await evalCli(['equal', '-'], input);
    expect(res.status, res.stderr).toBe(0);
    const rows = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.id, r.equal])).toEqual([
      ['a', true],
      ['b', false],
      ['c', false],
    ]);
  });
  it('rejects a line without gt, naming the line, printing nothing', async () => {
    const res = await evalCli(['equal', '-'], '{"pred": "1", "gt": "1"}\n{"pred": "2"}\n');
    expect(res.status).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/<stdin>:2.*gt/);
  });
});
