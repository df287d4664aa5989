/**
 * extract_answer cases by category (minerva marker, last \\boxed, "The answer is", "final answer
 * is", last number, multiple choice). Expected values are the Python harness's outputs.
 */
import { describe, expect, it } from 'vitest';
import { extractAnswer } from './answer.ts';

const CASES: Record<string, [string, string][]> = {
  boxed: [
    ['so $\\boxed{5}$.', '5'],
    ['first \\boxed{1} then \\boxed{2}', '2'],
    ['\\boxed{\\frac{1}{2}}', '\\frac{1}{2}'],
    ['\\boxed{x^{2}+1}', 'x^{2}+1'],
    ['\\boxed{{3}}', '{3}'],
    ['\\boxed 7$ done', '7'],
    ['\\boxed{(1, 2)}', '(1,2)'],
    ['the end \\boxed', ''],
    ['\\boxed{\\text{(B)}}', '(B)'],
    ['\\boxed{12\\%}', '12'],
    ['\\boxed{unclosed {brace', 'unclosed{brace'],
    ['\\fbox{4} \\boxed{5}', '5'],
    ['answer: \\boxed{-3}.', '-3'],
    ['\\boxed{ 10 }', '10'],
  ],
  minerva: [
    ['Final Answer: The final answer is $7$. I hope it is correct.', '7'],
    ['The final answer is $\\frac{3}{4}$. I hope it is correct.', '\\frac{3}{4}'],
    ['The final answer is $x=2$. I hope it is correct.', '2'],
    ['final answer is $5$. I hope so. \\boxed{6}', '5'],
    ['The final answer is 9. I hope it is correct.', '9Ihopeitiscorrect'],
    ['final answer is $1$ and $2$. I hope', '12'],
    ['I hope $. I hope final answer is $3$. I hope', '3'],
  ],
  'the answer is': [
    ['The answer is 42.', '42'],
    ['So the answer is $18$.', '18'],
    ['the answer is: 7', '7'],
    ['The answer is 1,000.', '1,000'],
    ['The answer is 5 apples.', '5'],
    ['the answer is 3 and the answer is 4', '4'],
    ['The answer is \n12.', '12'],
    ['the answer is 2/', '2'],
  ],
  'final answer is': [
    ['The final answer is 10.', '10'],
    ['final answer is x = 4', '4'],
    ['The final answer is: 8', '8'],
  ],
  'last number': [
    ['I have 3 apples and 4 pears', '4'],
    ['total 1,234 dollars', '1234'],
    ['it is -5 degrees', '-5'],
    ['value .5 here', '0.5'],
    ['no numbers here', ''],
    ['costs 3.75 now', '3.75'],
    ['1 2 3', '3'],
    ['x=2, y=-7.5.', '-7.5'],
    ['result: 10.0', '10'],
  ],
};

const MULTI_CHOICE: [string, string][] = [
  ['The answer is (B).', 'B'],
  ['the answer is c', 'C'],
  ['The choice is D', 'D'],
  ['answer is (E)', 'E'],
  ['The answer is B. Problem: next the answer is C', 'B'],
  ['no letter', 'placeholder'],
  ['The answer is (F)', 'placeholder'],
  ['The answer is A and the answer is B', 'A'],
  ['ANSWER IS (a)', 'A'],
];

describe('extractAnswer', () => {
  for (const [category, rows] of Object.entries(CASES)) {
    describe(category, () => {
      it.each(rows)('%j -> %j', (input, expected) => {
        expect(extractAnswer(input, 'math')).toBe(expected);
      });
    });
  }
  describe('multiple choice (mmlu_stem)', () => {
    it.each(MULTI_CHOICE)('%j -> %j', (input, expected) => {
      expect(extractAnswer(input, 'mmlu_stem')).toBe(expected);
    });
  });
});
