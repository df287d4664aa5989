import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, readJsonl } from '@rho/core/base';
import { parseGroundTruth } from '../groundtruth/index.ts';
import { datasetFile, loadExamples, loadRecords } from './load.ts';
import { DATASET_NAMES, getDataset } from './registry.ts';
import { thrown } from '../testing/thrown.ts';

const DATA_DIR = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');

// Sizes from the data README; suffix counts from the Python harness's parse_question over the files.
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

const loaded = new Map<string, ReturnType<typeof loadExamples>>();
function shipped(name: string) {
  if (!loaded.has(name)) loaded.set(name, loadExamples(name, DATA_DIR));
  return loaded.get(name)!;
}

describe('loadExamples on the shipped data', () => {
  it('knows exactly the eleven shipped benchmarks and the built-in one', () => {
    expect([...DATASET_NAMES].sort()).toEqual([...Object.keys(SIZES), 'arith'].sort());
  });

  it.each(Object.entries(SIZES))('%s has %i problems with idx 0..n-1 in order', (name, n) => {
    const ex = shipped(name);
    expect(ex).toHaveLength(n);
    expect(ex.map((e) => e.idx)).toEqual([...Array(n).keys()]);
    expect(ex.every((e) => e.question.length > 0 && e.question === e.question.trim())).toBe(true);
  });

  it('enumerates files without idx in file order (tabmwp keeps its pid on the record)', () => {
    const ex = shipped('tabmwp');
    const raw = readJsonl(datasetFile(DATA_DIR, 'tabmwp'));
    expect(ex[0]!.record.pid).toBe(raw[0]!.pid);
    expect(ex[999]!.record.pid).toBe(raw[999]!.pid);
    expect(ex[0]!.fields).toMatchObject({ choices: null, unit: null, ques_type: 'free_text', ans_type: 'integer_number' });
  });

  it('adds the yes/no and true/false hints where the Python harness does', () => {
    const hinted = (name: string) =>
      shipped(name)
        .filter((e) => / \((Yes or No|True or False)\)$/.test(e.question))
        .map((e) => e.idx);
    expect(hinted('tabmwp')).toHaveLength(63);
    expect(hinted('asdiv')).toEqual([75, 170, 172, 183, 189]);
    expect(hinted('gsm8k')).toEqual([]);
  });

  it('builds the same question strings as the published outputs hold', () => {
    const ref = resolve(DATA_DIR, 'reference-outputs');
    for (const [file, name] of [
      ['rho-math-7b-v0.1/gsm8k/test_cot_-1_seed0_t0.0_s0_e-1.jsonl', 'gsm8k'],
      ['rho-math-7b-v0.1/minerva_math/test_cot_-1_seed0_t0.0_s0_e-1.jsonl', 'minerva_math'],
    ] as const) {
      const published = readJsonl<{ idx: number; question: string }>(join(ref, file));
      const byIdx = new Map(shipped(name).map((e) => [e.idx, e.question]));
      const mismatched = published.filter((p) => byIdx.get(p.idx) !== p.question).map((p) => p.idx);
      expect(mismatched).toEqual([]);
      expect(published.length).toBe(byIdx.size);
    }
  });
});

describe('loading errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rho-datasets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    mkdirSync(join(dir, 'data', name), { recursive: true });
    writeFileSync(join(dir, 'data', name, 'test.jsonl'), text);
  };
  it('lists the known datasets for an unknown name', () => {
    const e = thrown(() => getDataset('gsm9k'));
    expect(e.code).toBe('BAD_CONFIG');
    expect(e.message).toContain('gsm8k');
    expect(e.message).toContain('minerva_math');
  });

  it('accepts the folder name math_oai for minerva_math', () => {
    expect(getDataset('math_oai').name).toBe('minerva_math');
  });

  it('says how to get a missing file', () => {
    const e = thrown(() => loadExamples('svamp', dir));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.context.hint).toContain('pnpm data fetch');
  });

  it('names file and line of a malformed line', () => {
    write('gsm8k', '{"question": "a", "answer": "#### 1"}\n\n{"question": oops}\n');
    const e = thrown(() => loadRecords('gsm8k', dir));
    expect(e.code).toBe('BAD_INPUT');
    expect(e.context).toMatchObject({ file: join(dir, 'data/gsm8k/test.jsonl'), line: 3 });
  });

  it('names line and field of a record that lacks a field', () => {
    write('svamp', '{"Body": "a", "Question": "b", "Answer": 1}\n\n{"Body": "a", "Answer": 2}\n');
    const e = thrown(() => loadRecords('svamp', dir));
    expect(e.context).toMatchObject({ line: 3, field: 'Question' });
  });

  it('sorts by idx when the file has its own', () => {
    write('mawps', '{"input": "b", "target": 2, "idx": 1}\n{"input": "a", "target": 1, "idx": 0}\n');
    expect(loadExamples('mawps', dir).map((e) => e.question)).toEqual(['a', 'b']);
  });
});

describe('agreement with the ground-truth parser', () => {
  // parse_question adds its hint from the fully normalised ground truth; groundtruth/ computes
  // that, so the shortcut question.ts takes must agree with it on every shipped problem.
  it.each(Object.keys(SIZES))('%s: hint iff the parsed ground truth is yes/no/true/false', (name) => {
    const disagreements = shipped(name)
      .filter((e) => {
        const gt = parseGroundTruth({ ...e.record }, name).gt.toLowerCase();
        const expected = ['yes', 'no', 'true', 'false'].includes(gt);
        return expected !== / \((Yes or No|True or False)\)$/.test(e.question);
      })
      .map((e) => e.idx);
    expect(disagreements).toEqual([]);
  });
});
