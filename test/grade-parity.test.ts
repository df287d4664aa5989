/**
 * One grading path: `pnpm eval cot|tora|pal` and `pnpm eval score` on the run's own outputs write
 * the same files, byte for byte, metrics included. (A comparison that runs out of time is counted
 * the same way by both: packages/eval/src/run/timeout-parity.test.ts, which replaces the grader.)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, DATA } from './cli.ts';
import { tinyCheckpoint } from './tiny-checkpoint.ts';

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
      let r = await cli('eval', [
        prompt,
        ckpt,
        '--data',
        'gsm8k,minerva_math,math,mmlu_stem',
        '--limit',
        '3',
        '--max-tokens',
        '12',
        '--out',
        live,
        '--data-dir',
        DATA,
      ]);
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
