import { describe, expect, it } from 'vitest';
import { computeMetrics, percent1 } from './metrics.ts';
import { datasetIndex, rescoreSamples, type OutputRecord } from './rescore.ts';

const DATA = datasetIndex([
  { question: 'a', answer: 'x\n#### 18' },
  { question: 'b', answer: 'y\n#### 3' },
  { question: 'c', answer: 'z\n#### 70000' },
]);

describe('rescoreSamples', () => {
  it('re-derives pred, gt and score, ignoring the ones given', () => {
    const { records, metrics } = rescoreSamples({
      dataName: 'gsm8k',
      promptType: 'cot',
      dataset: DATA,
      records: [
        { idx: 2, code: ['The answer is 70,000.'], pred: ['1'], gt: '1', score: [false] },
        { idx: 0, code: ['So 9 x 2 = 18 dollars.'], pred: ['0'], gt: '0', score: [false] },
        { idx: 1, code: ['I do not know'], score: [true] },
      ],
    });
    expect(records.map((r) => r.idx)).toEqual([0, 1, 2]);
    expect(records.map((r) => r.gt)).toEqual(['18', '3', '70000']);
    expect(records.map((r) => r.pred[0])).toEqual(['18', '', '70,000']);
    expect(records.map((r) => r.score[0])).toEqual([true, false, true]);
    expect(metrics).toEqual({ num_samples: 3, num_scores: 3, timeout_samples: 0, empty_samples: 1, acc: 66.7 });
  });

  it('keeps the last record of a repeated idx', () => {
    const { records } = rescoreSamples({
      dataName: 'gsm8k',
      promptType: 'cot',
      dataset: DATA,
      records: [
        { idx: 1, code: ['The answer is 4.'] },
        { idx: 1, code: ['The answer is 3.'] },
      ],
    });
    expect(records).toHaveLength(1);
    expect(records[0]!.score).toEqual([true]);
  });

  it('keeps each field in its place and appends new ones, as evaluate.py assigns into the sample dict', () => {
    const grade = (rec: OutputRecord) => Object.keys(rescoreSamples({ dataName: 'gsm8k', promptType: 'cot', dataset: DATA, records: [rec] }).records[0]!);
    // the released layout comes back as it was
    const released = {
      idx: 0,
      question: 'a',
      gt_cot: 'x',
      gt: '18',
      answer: 'x\n#### 18',
      code: ['The answer is 18.'],
      pred: ['18'],
      report: [null],
      score: [true],
    };
    expect(grade(released)).toEqual(Object.keys(released));
    // what grading derives, once stripped, is appended
    const { pred: _p, gt: _g, score: _s, ...stripped } = released;
    expect(grade(stripped)).toEqual(['idx', 'question', 'gt_cot', 'answer', 'code', 'report', 'gt', 'pred', 'score']);
  });

  it('names an idx the dataset lacks', () => {
    expect(() => rescoreSamples({ dataName: 'gsm8k', promptType: 'cot', dataset: DATA, records: [{ idx: 9, code: ['1'] }] })).toThrow(/idx 9/);
  });

  it('carries the dataset type into type_acc', () => {
    const data = datasetIndex([
      { problem: 'p', solution: '$\\boxed{2}$', type: 'Algebra' },
      { problem: 'p', solution: '$\\boxed{5}$', type: 'Geometry' },
    ]);
    const { metrics } = rescoreSamples({
      dataName: 'math',
      promptType: 'cot',
      dataset: data,
      records: [
        { idx: 0, code: ['Final Answer: The final answer is $2$. I hope it is correct.'] },
        { idx: 1, code: ['The answer is 4'] },
      ],
    });
    expect(metrics.type_acc).toEqual({ Algebra: 100, Geometry: 0 });
    expect(metrics.acc).toBe(50);
  });
});

describe('computeMetrics', () => {
  it('rounds half to even like numpy', () => {
    expect(percent1(1 / 16)).toBe(6.2);
    expect(percent1(3 / 16)).toBe(18.8);
    expect(percent1(2 / 3)).toBe(66.7);
  });
  it('uses the first sample column for acc and the last pred for empties', () => {
    const m = computeMetrics(
      [
        { pred: ['1', null], score: [true, false] },
        { pred: [''], score: [false] },
        { pred: ['2', '3'], score: [false, true], type: 'b' },
      ],
      1,
    );
    expect(m).toEqual({ num_samples: 3, num_scores: 5, timeout_samples: 1, empty_samples: 2, acc: 33.3 });
  });
});

describe('rescoreSamplesAsync (pal)', () => {
  it('runs each distinct program once and scores its result', async () => {
    const ran: string[][] = [];
    const { records, metrics } = await (await import('./rescore.ts')).rescoreSamplesAsync({
      dataName: 'gsm8k',
      promptType: 'pal',
      dataset: DATA,
      records: [
        { idx: 0, code: ['```python\ndef solution():\n    return 18\n```'] },
        { idx: 1, code: ['```python\ndef solution():\n    return 18\n```'] },
        { idx: 2, code: [''] },
      ],
      runPrograms: async (programs) => {
        ran.push(programs);
        return programs.map(() => ({ result: '18.0', report: 'Done' }));
      },
    });
    expect(ran).toHaveLength(1);
    expect(ran[0]).toHaveLength(1);
    expect(records.map((r) => r.pred[0])).toEqual(['18', '18', null]);
    expect(records.map((r) => r.score[0])).toEqual([true, false, false]);
    expect(metrics.empty_samples).toBe(1);
  });
});
