/**
 * A comparison that runs out of time is counted the same way by a run and by `pnpm eval score` on
 * its outputs, and both write the same files. (test/grade-parity.test.ts checks the two commands
 * end to end; this case needs the grader replaced in this process, so it lives in the package.)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { ScriptedModel } from '../backends/scripted.ts';
import scoreCommand from '../cli/commands/score.ts';
import type { EqualOptions } from '../grader/math-equal.ts';
import { metricsPathFor } from '../outputs/layout.ts';
import { runEval } from './run-eval.ts';

const DATA = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');

/** The prediction whose comparison is deliberately slow. */
const SLOW = '31415926';

// The grader as both paths load it, with one comparison that outlasts its deadline: it spins
// until the deadline has passed and then gives the verdict mathEqual gives a timed-out one.
vi.mock('../grader/math-equal.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../grader/math-equal.ts')>();
  return {
    ...real,
    mathEqual: (pred: string | null, gt: string, opts: EqualOptions = {}) => {
      if (pred !== SLOW) return real.mathEqual(pred, gt, opts);
      const deadline = performance.now() + (opts.timeoutMs ?? real.DEFAULT_EQUAL_OPTIONS.timeoutMs);
      while (performance.now() <= deadline) {
        // a comparison too slow for its deadline
      }
      return { equal: false, reason: 'timeout' as const };
    },
  };
});

const root = mkdtempSync(join(tmpdir(), 'timeout-parity-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('a comparison that times out', () => {
  it('is counted the same way by the run and by pnpm eval score, and the files are the same', async () => {
    const live = join(root, 'slow-live');
    const rescored = join(root, 'slow-rescored');
    // gsm8k 0 is answered right, gsm8k 1 with the slow prediction, the rest wrong
    const model = new ScriptedModel((p) =>
      p.trimEnd().endsWith("How much in dollars does she make every day at the farmers' market?\nAnswer:")
        ? ' The answer is 18.'
        : p.includes('A robe takes 2 bolts')
          ? ` The answer is ${SLOW}.`
          : ' The answer is 5.',
    );
    const run = await runEval(model, {
      data: 'gsm8k',
      promptType: 'cot',
      dataDir: DATA,
      outDir: live,
      limit: 3,
      start: 0,
      end: -1,
      maxTokens: 64,
      temperature: 0,
      topP: 1,
      seed: 0,
      nSampling: 1,
      chunkSize: 3,
    });
    expect(run.metrics).toMatchObject({ num_samples: 3, timeout_samples: 1, acc: 33.3 });
    const rows = readFileSync(run.outPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pred: string[]; score: boolean[] });
    expect(rows.map((s) => [s.pred[0], s.score[0]])).toEqual([
      ['18', true],
      [SLOW, false],
      ['5', false],
    ]);

    await scoreCommand.parseAsync([live, '--out', rescored, '--data-dir', DATA], { from: 'user' });
    const files = filesUnder(live);
    expect(filesUnder(rescored)).toEqual(files);
    for (const f of files) expect(readFileSync(join(rescored, f), 'utf8'), f).toBe(readFileSync(join(live, f), 'utf8'));
    const again = JSON.parse(readFileSync(metricsPathFor(join(rescored, 'gsm8k', 'test_cot_3_seed0_t0.0_s0_e-1.jsonl'), 'cot'), 'utf8'));
    expect(again.timeout_samples).toBe(1);
  });
});
