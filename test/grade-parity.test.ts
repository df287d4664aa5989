/**
 * One grading path: `pnpm eval cot|tora|pal` and `pnpm eval score` on the run's own outputs write
 * the same files, byte for byte, metrics included; and a comparison that runs out of time is
 * counted the same way by both.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ScriptedModel } from '../packages/eval/src/backends/scripted.ts';
import scoreCommand from '../packages/eval/src/cli/commands/score.ts';
import { metricsPathFor } from '../packages/eval/src/outputs/layout.ts';
import { runEval } from '../packages/eval/src/run/run-eval.ts';
import { cli, DATA } from './cli.ts';
import { tinyCheckpoint } from './tiny-checkpoint.ts';

/** The prediction whose comparison is deliberately slow. */
const SLOW = '31415926';

// The grader as both paths load it, with one comparison that outlasts its deadline: it spins
// until the deadline has passed and then gives the verdict mathEqual gives a timed-out one.
vi.mock('../packages/eval/src/grader/math-equal.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../packages/eval/src/grader/math-equal.ts')>();
  return {
    ...real,
    mathEqual: (pred: string | null, gt: string, opts: import('../packages/eval/src/grader/math-equal.ts').EqualOptions = {}) => {
      if (pred !== SLOW) return real.mathEqual(pred, gt, opts);
      const deadline = performance.now() + (opts.timeoutMs ?? real.DEFAULT_EQUAL_OPTIONS.timeoutMs);
      while (performance.now() <= deadline) {
        // a comparison too slow for its deadline
      }
      return { equal: false, reason: 'timeout' as const };
    },
  };
});

const root = mkdtempSync(join(tmpdir(), 'grade-parity-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

function expectSameFiles(live: string, rescored: string): void {
  const files = filesUnder(live);
  expect(filesUnder(rescored)).toEqual(files);
  for (const f of files) expect(readFileSync(join(rescored, f), 'utf8'), f).toBe(readFileSync(join(live, f), 'utf8'));
}

describe('pnpm eval cot|tora|pal, then pnpm eval score on its outputs', () => {
  const ckpt = join(root, 'ckpt');
  beforeAll(async () => {
    await tinyCheckpoint(root, ckpt, { problems: 200, maxPositions: 256 });
  });

  // gsm8k as released, minerva_math without a type, math with one (type_acc), mmlu_stem with lettered choices
  for (const prompt of ['cot', 'tora', 'pal'] as const) {
    it(`${prompt}: the re-scored files are the run's files, byte for byte, metrics included`, async () => {
      const live = join(root, `live-${prompt}`);
      const rescored = join(root, `rescored-${prompt}`);
      let r = await cli('eval', [prompt, ckpt, '--data', 'gsm8k,minerva_math,math,mmlu_stem', '--limit', '3', '--max-tokens', '12', '--out', live, '--data-dir', DATA]);
      expect(r.status, r.stderr).toBe(0);
      r = await cli('eval', ['score', live, '--out', rescored, '--data-dir', DATA]);
      expect(r.status, r.stderr).toBe(0);
      expect(filesUnder(live)).toHaveLength(8);
      expectSameFiles(live, rescored);
      // the run's own figures are in both
      const metrics = JSON.parse(readFileSync(join(rescored, 'math', `test_${prompt}_3_seed0_t0.0_s0_e-1_${prompt}_metrics.json`), 'utf8'));
      expect(metrics).toHaveProperty('type_acc');
      expect(metrics).toHaveProperty('time_use_in_second');
    });
  }
});

describe('a comparison that times out', () => {
  it('is counted the same way by the run and by pnpm eval score, and the files are the same', async () => {
    const live = join(root, 'slow-live');
    const rescored = join(root, 'slow-rescored');
    // gsm8k 0 is answered right, gsm8k 1 with the slow prediction, the rest wrong
    const model = new ScriptedModel((p) =>
      p.trimEnd().endsWith("How much in dollars does she make every day at the farmers' market?\nAnswer:") ? ' The answer is 18.' : p.includes('A robe takes 2 bolts') ? ` The answer is ${SLOW}.` : ' The answer is 5.',
    );
    const run = await runEval(model, { data: 'gsm8k', promptType: 'cot', dataDir: DATA, outDir: live, limit: 3, start: 0, end: -1, maxTokens: 64, temperature: 0, topP: 1, seed: 0, nSampling: 1, chunkSize: 3 });
    expect(run.metrics).toMatchObject({ num_samples: 3, timeout_samples: 1, acc: 33.3 });
    const rows = readFileSync(run.outPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pred: string[]; score: boolean[] });
    expect(rows.map((s) => [s.pred[0], s.score[0]])).toEqual([['18', true], [SLOW, false], ['5', false]]);

    await scoreCommand.parseAsync([live, '--out', rescored, '--data-dir', DATA], { from: 'user' });
    expectSameFiles(live, rescored);
    const again = JSON.parse(readFileSync(metricsPathFor(join(rescored, 'gsm8k', 'test_cot_3_seed0_t0.0_s0_e-1.jsonl'), 'cot'), 'utf8'));
    expect(again.timeout_samples).toBe(1);
  });
});
