/**
 * Ground truth for every benchmark file in the data directory, and MATH's own solutions graded
 * against it: extraction, normalisation and grading on real dataset text end to end.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { dataFolderFor, datasetIndex, groundTruthForScoring, rescoreSamples } from '@rho/eval';

const DATA = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');

function rows(name: string): Record<string, unknown>[] {
  return readFileSync(resolve(DATA, 'data', dataFolderFor(name), 'test.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Records whose answer the harness itself normalises to "" (checked against its Python code). */
const EMPTY_GT: Record<string, number[]> = { math: [3526, 3607], minerva_math: [97] };

const SIZES: Record<string, number> = {
  gsm8k: 1319,
  math: 5000,
  minerva_math: 500,
  svamp: 1000,
  asdiv: 2215,
  mawps: 2065,
  tabmwp: 1000,
  sat_math: 32,
  gsm_hard: 1319,
  mmlu_stem: 3018,
  mathqa: 1000,
};

describe('ground truth of every benchmark', () => {
  for (const [name, size] of Object.entries(SIZES)) {
    it(`${name}: ${size} records, each with an answer`, () => {
      const recs = rows(name);
      expect(recs).toHaveLength(size);
      const gts = recs.map((r) => groundTruthForScoring(r, name).gt);
      const empty = gts.flatMap((g, i) => (g === '' ? [i] : []));
      expect(empty).toEqual(EMPTY_GT[name] ?? []);
      if (['mmlu_stem', 'sat_math', 'mathqa'].includes(name)) expect(new Set(gts).size).toBeLessThanOrEqual(5);
    });
  }

  it("MATH's reference solutions score against their own ground truth", () => {
    const ds = datasetIndex(rows('math'));
    const records = [...ds.entries()].map(([idx, r]) => ({ idx, code: [r['solution'] as string] }));
    const { metrics, records: out } = rescoreSamples({ dataName: 'math', promptType: 'cot', records, dataset: ds });
    // The few misses are the harness's own: the answer goes through strip_string twice as a
    // prediction but once as ground truth ("x \in [-2,7]" keeps its "x\in" on one side only).
    expect(metrics.acc).toBeGreaterThanOrEqual(99.8);
    expect(metrics.type_acc && Object.keys(metrics.type_acc)).toHaveLength(7);
    expect(out.find((r) => r.idx === 0)?.gt).toBe('2');
  });
});
