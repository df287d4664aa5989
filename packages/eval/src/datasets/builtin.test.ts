/**
 * A benchmark the project generates: with nothing in the data directory its spec's `builtin`
 * supplies records and demos, and loading, prompting and scoring take them by name like any
 * other benchmark. The spec below is registered for this file only.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractAnswer } from '../extract/answer.ts';
import { groundTruthForScoring } from '../groundtruth/parse.ts';
import { constructPrompt } from '../prompts/construct.ts';
import { loadFewShot } from '../prompts/few-shot.ts';
import { scoreFile } from '../score/score-file.ts';
import { gsm8k } from './gsm8k.ts';
import { loadExamples, loadRecords } from './load.ts';
import { getDataset, registerDataset } from './registry.ts';
import type { DatasetSpec, RawRecord } from './types.ts';
import { thrown } from '../testing/thrown.ts';

const PROBLEMS: RawRecord[] = [
  { question: 'What is 2 + 3?', answer: '2 + 3 = 5\n#### 5' },
  { question: 'What is 4 * 6?', answer: '4 * 6 = 24\n#### 24' },
  { question: 'Is 7 odd?', answer: '7 = 2 * 3 + 1\n#### yes' },
];
const DEMO = '\nQuestion: What is 1 + 1?\nAnswer: 1 + 1 = 2. The answer is 2.\n';

/** GSM8K's format and rules under another name, with records and a cot demo of its own. */
const toy: DatasetSpec = {
  ...gsm8k,
  name: 'toy_arith',
  dir: 'toy_arith',
  family: 'toy_arith',
  default: false,
  builtin: {
    records: (split) => (split === 'test' ? PROBLEMS : []),
    fewShot: (promptType) => (promptType === 'cot' ? DEMO : null),
  },
};

const dataDir = mkdtempSync(join(tmpdir(), 'rho-builtin-'));
let unregister: () => void;
beforeAll(() => {
  unregister = registerDataset(toy);
});
afterAll(() => {
  unregister();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a built-in benchmark with an empty data directory', () => {
  it('loads its records with indices in order and questions as the harness builds them', () => {
    expect(loadRecords('toy_arith', dataDir).map((r) => r.idx)).toEqual([0, 1, 2]);
    const ex = loadExamples('toy_arith', dataDir);
    expect(ex.map((e) => e.question)).toEqual(['What is 2 + 3?', 'What is 4 * 6?', 'Is 7 odd? (Yes or No)']);
    expect(ex[0]!.dataName).toBe('toy_arith');
  });

  it('prompts with its own demos, framed as Question/Answer', () => {
    expect(loadFewShot(dataDir, 'toy_arith', 'cot')).toBe(`${DEMO.trim()}\n\n\n`);
    const ex = loadExamples('toy_arith', dataDir)[1]!;
    expect(constructPrompt(ex, 'cot', dataDir)).toBe(`${DEMO.trim()}\n\n\nQuestion: What is 4 * 6?\nAnswer:`);
    // tora and direct use no demos, as for every benchmark
    expect(loadFewShot(dataDir, 'toy_arith', 'tora')).toBe('');
  });

  it('reports a declared few-shot file that neither the directory nor the builtin has', () => {
    const e = thrown(() => loadFewShot(dataDir, 'toy_arith', 'pal'));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.context.file).toBe(join(dataDir, 'prompts/pal/toy_arith.md'));
  });

  it('reads ground truth and answers through its spec', () => {
    expect(groundTruthForScoring(PROBLEMS[1]!, 'toy_arith')).toEqual({ gtCot: '4 * 6 = 24', gt: '24' });
    expect(extractAnswer('so 4 * 6 = 24. The answer is 24.', 'toy_arith')).toBe('24');
  });

  it('scores an outputs file against the generated records', async () => {
    const file = join(dataDir, 'out.jsonl');
    const rows = [
      { idx: 0, code: ['2 + 3 = 5. The answer is 5.'] },
      { idx: 1, code: ['The answer is 25.'] },
      { idx: 2, code: ['Seven is odd. The answer is yes.'] },
    ];
    writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const scored = await scoreFile({ file, dataDir, data: 'toy_arith', promptType: 'cot' });
    expect(scored.records.map((r) => r.score[0])).toEqual([true, false, true]);
    expect(scored.records.map((r) => r.gt)).toEqual(['5', '24', 'yes']);
  });

  it('checks generated records as it checks a file', () => {
    const broken = registerDataset({
      ...toy,
      name: 'toy_broken',
      dir: 'toy_broken',
      builtin: { records: () => [PROBLEMS[0]!, { question: 'q' }], fewShot: () => null },
    });
    try {
      const e = thrown(() => loadRecords('toy_broken', dataDir));
      expect(e.code).toBe('BAD_INPUT');
      expect(e.context).toMatchObject({ file: '<built-in toy_broken test>', line: 2, field: 'answer' });
    } finally {
      broken();
    }
    // a split the generator does not have is as wrong as an empty file
    expect(thrown(() => loadRecords('toy_arith', dataDir, 'train')).message).toContain('no train records');
  });

  it('reads the data directory first when it has the files', () => {
    mkdirSync(join(dataDir, 'data/toy_arith'), { recursive: true });
    mkdirSync(join(dataDir, 'prompts/cot'), { recursive: true });
    writeFileSync(join(dataDir, 'data/toy_arith/test.jsonl'), '{"question": "From the file?", "answer": "#### 1"}\n');
    writeFileSync(join(dataDir, 'prompts/cot/toy_arith.md'), 'Question: file demo\nAnswer: 1\n');
    try {
      expect(loadExamples('toy_arith', dataDir).map((e) => e.question)).toEqual(['From the file?']);
      expect(loadFewShot(dataDir, 'toy_arith', 'cot')).toBe('Question: file demo\nAnswer: 1\n\n\n');
    } finally {
      rmSync(join(dataDir, 'data'), { recursive: true });
      rmSync(join(dataDir, 'prompts'), { recursive: true });
    }
  });
});

describe('registerDataset', () => {
  it('refuses a name that is already known, shipped or harness-only', () => {
    expect(thrown(() => registerDataset({ ...toy, name: 'gsm8k' })).code).toBe('BAD_CONFIG');
    expect(thrown(() => registerDataset({ ...toy, name: 'math_oai' })).code).toBe('BAD_CONFIG');
  });

  it('forgets the spec once unregistered', () => {
    const off = registerDataset({ ...toy, name: 'toy_gone', dir: 'toy_gone' });
    expect(getDataset('toy_gone').name).toBe('toy_gone');
    off();
    expect(thrown(() => getDataset('toy_gone')).code).toBe('BAD_CONFIG');
  });
});
