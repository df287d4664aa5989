/**
 * Acceptance: re-scoring the published Rho-1 outputs (pred, gt and score removed) reproduces the
 * published accuracies exactly and the stored per-sample verdicts on >= 99.8% of samples.
 */
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { datasetIndex, dataFolderFor, rescoreSamples, type OutputRecord } from '@rho/eval';

const DATA = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');

function readJsonl(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const CASES = [
  { file: 'rho-math-7b-v0.1/gsm8k/test_cot_-1_seed0_t0.0_s0_e-1.jsonl', data: 'gsm8k', prompt: 'cot', acc: 66.8 },
  { file: 'rho-math-7b-v0.1/minerva_math/test_cot_-1_seed0_t0.0_s0_e-1.jsonl', data: 'minerva_math', prompt: 'cot', acc: 32.2 },
  { file: 'rho-math-7b-interpreter-v0.1/gsm8k/test_tora_-1_seed0_t0.0_s0_e-1.jsonl', data: 'gsm8k', prompt: 'tora', acc: 81.3 },
];

describe('parity with the published Rho-1 outputs', () => {
  for (const c of CASES) {
    it(`${c.file} re-scores to ${c.acc}`, () => {
      const path = resolve(DATA, 'reference-outputs', c.file);
      expect(existsSync(path), `missing ${path}`).toBe(true);
      const stored = readJsonl(path);
      const published = JSON.parse(readFileSync(path.replace(/\.jsonl$/, `_${c.prompt}_metrics.json`), 'utf8')) as { acc: number };
      expect(published.acc).toBe(c.acc);

      // Strip everything the harness derived, so only the completions and idx go in.
      const inputs: OutputRecord[] = stored.map((r) => {
        const { pred: _pred, gt: _gt, score: _score, ...rest } = r;
        return rest as OutputRecord;
      });
      expect(inputs.every((r) => !('pred' in r) && !('gt' in r) && !('score' in r))).toBe(true);
      const dataset = datasetIndex(readJsonl(resolve(DATA, 'data', dataFolderFor(c.data), 'test.jsonl')));

      const { records, metrics } = rescoreSamples({ dataName: c.data, promptType: c.prompt, records: inputs, dataset });
      expect(metrics.acc).toBe(c.acc);
      expect(metrics.num_samples).toBe(stored.length);

      const storedScore = new Map(stored.map((r) => [r['idx'] as number, (r['score'] as boolean[])[0]]));
      const disagreements = records.filter((r) => r.score[0] !== storedScore.get(r.idx)).map((r) => ({ idx: r.idx, pred: r.pred[0], gt: r.gt }));
      const agreement = 1 - disagreements.length / records.length;
      expect(agreement, JSON.stringify(disagreements)).toBeGreaterThanOrEqual(0.998);
      expect(disagreements).toEqual([]);
    });
  }
});
