/**
 * `pnpm bench grade [--json] [--runs N] [--data-dir DIR]`: re-scores the three released Rho-1
 * output files (3138 samples) end to end — a fresh `eval score` process as `pnpm eval` starts it
 * (node --import tsx), from its start until the metrics are written — once with the harness
 * grader and once with the strict one (runs interleaved, so both meet the same machine load), and
 * checks the harness's verdicts against the stored per-sample scores. Both times side by side,
 * and strict / harness (the strict grader's budget is 2x).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { positiveInt, readJsonl, REPO_ROOT, resolveDataDir } from '@rho/core/base';
import { printBenchResult } from './_table.ts';

const { values } = parseArgs({
  options: { json: { type: 'boolean' }, runs: { type: 'string', default: '3' }, 'data-dir': { type: 'string' }, help: { type: 'boolean' } },
});
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
const runs = positiveInt('--runs')(values.runs!);
const GRADERS = ['harness', 'strict'] as const;
const walls: Record<(typeof GRADERS)[number], number[]> = { harness: [], strict: [] };
const outs: Record<string, string> = {};
for (let r = 0; r < runs; r++) {
  for (const grader of GRADERS) {
    rmSync(outs[grader] ?? '/nonexistent', { recursive: true, force: true });
    const out = (outs[grader] = mkdtempSync(join(tmpdir(), `bench-grade-${grader}-`)));
    const t0 = performance.now();
    const res = spawnSync(
      process.execPath,
      ['--import', 'tsx', resolve(REPO_ROOT, 'packages/eval/src/cli/main.ts'), 'score', refs, '--out', out, '--data-dir', dataDir, '--grader', grader],
      { encoding: 'utf8', cwd: REPO_ROOT },
    );
    walls[grader].push((performance.now() - t0) / 1000);
    if (res.status !== 0) {
      console.error(res.stderr || res.stdout);
      process.exit(1);
    }
  }
}
const out = outs['harness']!;
let samples = 0;
let agree = 0;
const accs: Record<string, number> = {};
const strictAccs: Record<string, number> = {};
for (const f of FILES) {
  const stored = new Map(readJsonl<{ idx: number; score: boolean[] }>(join(refs, f)).map((r) => [r.idx, r.score[0]]));
  const ours = readJsonl<{ idx: number; score: boolean[] }>(join(out, f));
  samples += ours.length;
  agree += ours.filter((r) => r.score[0] === stored.get(r.idx)).length;
  const prompt = f.includes('_tora_') ? 'tora' : 'cot';
  const metricsOf = (dir: string) => (JSON.parse(readFileSync(join(dir, f.replace(/\.jsonl$/, `_${prompt}_metrics.json`)), 'utf8')) as { acc: number }).acc;
  accs[f.split('/').slice(0, 2).join('/')] = metricsOf(out);
  strictAccs[f.split('/').slice(0, 2).join('/')] = metricsOf(outs['strict']!);
}
for (const dir of Object.values(outs)) rmSync(dir, { recursive: true, force: true });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const wall = median(walls.harness);
const strictWall = median(walls.strict);
const result = {
  samples,
  wall_s: +wall.toFixed(3),
  samples_per_s: +(samples / wall).toFixed(1),
  strict_wall_s: +strictWall.toFixed(3),
  strict_samples_per_s: +(samples / strictWall).toFixed(1),
  strict_over_harness: +(strictWall / wall).toFixed(3),
  agreement: +(agree / samples).toFixed(5),
  runs,
  accs,
  strict_accs: strictAccs,
};
printBenchResult(
  'grade: re-score the released Rho-1 outputs, process start to metrics written (median of runs), harness and strict graders',
  [
    ['samples', samples],
    ['wall_s harness | strict', `${result.wall_s.toFixed(3)} | ${result.strict_wall_s.toFixed(3)}`],
    ['samples_per_s harness | strict', `${result.samples_per_s} | ${result.strict_samples_per_s}`],
    ['strict / harness time', result.strict_over_harness.toFixed(2)],
    ['agreement with stored scores (harness)', `${(100 * result.agreement).toFixed(2)}%`],
    ...Object.entries(accs).map(([k, v]): [string, string] => [`acc ${k} harness | strict`, `${v.toFixed(1)} | ${strictAccs[k]!.toFixed(1)}`]),
    ['python harness (sympy 1.12), same files', '20.1 s as three processes'],
  ],
  result,
  Boolean(values.json),
);
