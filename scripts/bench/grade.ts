/**
 * `pnpm bench grade [--json] [--runs N] [--data-dir DIR]`: re-scores the three released Rho-1
 * output files (3138 samples) end to end — a fresh `eval score` process as `pnpm eval` starts it
 * (node --import tsx), from its start until the metrics are written — and checks the verdicts against the stored per-sample scores.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readJsonl, REPO_ROOT, resolveDataDir } from '@rho/core/base';
import { printBenchResult } from './_table.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, runs: { type: 'string', default: '3' }, 'data-dir': { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('usage: pnpm bench grade [--json] [--runs N] [--data-dir DIR]');
  process.exit(0);
}
const dataDir = resolveDataDir(values['data-dir']);
const refs = join(dataDir, 'reference-outputs');
const FILES = [
  'rho-math-7b-v0.1/gsm8k/test_cot_-1_seed0_t0.0_s0_e-1.jsonl',
  'rho-math-7b-v0.1/minerva_math/test_cot_-1_seed0_t0.0_s0_e-1.jsonl',
  'rho-math-7b-interpreter-v0.1/gsm8k/test_tora_-1_seed0_t0.0_s0_e-1.jsonl',
];
const runs = Math.max(1, Number(values.runs));
const walls: number[] = [];
let out = '';
for (let r = 0; r < runs; r++) {
  rmSync(out || '/nonexistent', { recursive: true, force: true });
  out = mkdtempSync(join(tmpdir(), 'bench-grade-'));
  const t0 = performance.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'packages/eval/src/cli/main.ts'), 'score', refs, '--out', out, '--data-dir', dataDir], { encoding: 'utf8', cwd: REPO_ROOT });
  walls.push((performance.now() - t0) / 1000);
  if (res.status !== 0) {
    console.error(res.stderr || res.stdout);
    process.exit(1);
  }
}
let samples = 0;
let agree = 0;
const accs: Record<string, number> = {};
for (const f of FILES) {
  const stored = new Map(readJsonl<{ idx: number; score: boolean[] }>(join(refs, f)).map((r) => [r.idx, r.score[0]]));
  const ours = readJsonl<{ idx: number; score: boolean[] }>(join(out, f));
  samples += ours.length;
  agree += ours.filter((r) => r.score[0] === stored.get(r.idx)).length;
  const prompt = f.includes('_tora_') ? 'tora' : 'cot';
  accs[f.split('/').slice(0, 2).join('/')] = (JSON.parse(readFileSync(join(out, f.replace(/\.jsonl$/, `_${prompt}_metrics.json`)), 'utf8')) as { acc: number }).acc;
}
rmSync(out, { recursive: true, force: true });
walls.sort((a, b) => a - b);
const wall = walls[Math.floor(walls.length / 2)]!;
const result = { samples, wall_s: +wall.toFixed(3), samples_per_s: +(samples / wall).toFixed(1), agreement: +(agree / samples).toFixed(5), runs, accs };
printBenchResult(
  'grade: re-score the released Rho-1 outputs, process start to metrics written (median of runs)',
  [
    ['samples', samples],
    ['wall_s', result.wall_s],
    ['samples_per_s', result.samples_per_s],
    ['agreement with stored scores', `${(100 * result.agreement).toFixed(2)}%`],
    ...Object.entries(accs).map(([k, v]): [string, string] => [`acc ${k}`, v.toFixed(1)]),
    ['python harness (sympy 1.12), same files', '20.1 s as three processes'],
  ],
  result,
  Boolean(values.json),
);
