import { describe, expect, it } from 'vitest';
import { RhoError } from '@rho/core/base';
import { groundTruthForScoring, parseGroundTruth } from './parse.ts';

describe('parseGroundTruth', () => {
  it.each([
    ['gsm8k', { question: 'q', answer: 'She has 3 + 4 = <<3+4=7>>7.\n#### 7' }, '7'],
    ['gsm8k', { question: 'q', answer: 'total\n#### 1,200' }, '1,200'],
    ['math', { problem: 'p', solution: 'So it is $\\boxed{\\dfrac{1}{2}}$.' }, '\\frac{1}{2}'],
    ['minerva_math', { problem: 'p', solution: 'Hence $\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}.$' }, '(3,\\frac{\\pi}{2})'],
    ['svamp', { Body: 'b', Question: 'q', Equation: '( 290.0 / 2.0 )', Answer: 145 }, '145'],
    ['svamp', { Body: 'b', Question: 'q', Equation: 'e', Answer: 2.5 }, '2.5'],
    ['asdiv', { body: 'b', question: 'q', formula: '7+2=9', answer: '9 (apples)' }, '9'],
    ['mawps', { input: 'q', target: 43 }, '43'],
    ['gsm_hard', { input: 'q', code: 'c', target: 1e16 }, '1e+16'],
    ['tabmwp', { question: 'q', answer: '84', ans_type: 'integer_number', solution: 's' }, '84'],
    ['tabmwp', { question: 'q', answer: '1/4', ans_type: 'decimal_number', solution: 's' }, '0.25'],
    ['tabmwp', { question: 'q', answer: '1,250', ans_type: 'integer_number', solution: 's' }, '1250'],
    ['tabmwp', { question: 'q', answer: '15%', ans_type: 'decimal_number', solution: 's' }, '0.15'],
    ['tabmwp', { question: 'q', answer: 'yes', ans_type: 'boolean_text', solution: 's' }, 'yes'],
    ['mmlu_stem', { question: 'q', choices: ['a', 'b', 'c', 'd'], answer: 2 }, 'C'],
    ['sat_math', { question: 'q', options: 'A) 1 B) 2', Answer: 'B' }, 'B'],
    ['mathqa', { problem: 'p', rationale: 'r', options: 'a ) 1', correct: 'd' }, 'D'],
  ] as [string, Record<string, unknown>, string][])('%s %j -> %j', (data, record, gt) => {
    expect(parseGroundTruth(record, data).gt).toBe(gt);
  });

  it('keeps the solution text as gt_cot', () => {
    expect(parseGroundTruth({ answer: ' work \n#### 5' }, 'gsm8k').gtCot).toBe('work');
    expect(parseGroundTruth({ input: 'q', target: 1 }, 'mawps').gtCot).toBe('None');
  });

  it('re-normalises once more for scoring, as evaluate.py re-parses its samples', () => {
    expect(groundTruthForScoring({ answer: 'x\n#### 1,200' }, 'gsm8k').gt).toBe('1,200');
    expect(groundTruthForScoring({ solution: '$\\boxed{\\frac12}$' }, 'minerva_math').gt).toBe('\\frac{1}{2}');
  });

  it('lists the known datasets for an unknown one', () => {
    try {
      parseGroundTruth({}, 'nope');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RhoError);
      expect((e as RhoError).context.hint).toMatch(/gsm8k.*math.*svamp/);
    }
  });

  it('names a missing field', () => {
    expect(() => parseGroundTruth({ question: 'q' }, 'gsm8k')).toThrow(/"answer"/);
    expect(() => parseGroundTruth({ answer: 7 }, 'mmlu_stem')).toThrow(/0-3/);
  });
});
