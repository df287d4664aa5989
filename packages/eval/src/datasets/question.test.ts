import { describe, expect, it } from 'vitest';
import { buildQuestion } from './question.ts';
import { getDataset } from './registry.ts';
import { toExample } from './load.ts';

// Expected strings were produced by running the Python harness's parse_question logic
// (re-typed, run with python3 3.11) on these same records.
const CASES: [string, Record<string, unknown>, string][] = [
  [
    'svamp',
    { Body: '  Jack had 8 pens  ', Question: ' How many pens does he have? ', Answer: 5.0, Equation: '( 8 - 3 )' },
    'Jack had 8 pens. How many pens does he have?',
  ],
  ['svamp', { Body: 'Jack had 8 pens.', Question: 'How many?', Answer: 8, Equation: '8' }, 'Jack had 8 pens. How many?'],
  [
    'asdiv',
    { body: ' Tessa has 4 apples. ', question: 'Does she have enough? ', answer: 'Yes (apples)', formula: '4<10' },
    'Tessa has 4 apples. Does she have enough? (Yes or No)',
  ],
  ['asdiv', { body: 'Seven red apples.', question: 'How many apples?', answer: '7 (apples)', formula: '7' }, 'Seven red apples. How many apples?'],
  [
    'tabmwp',
    {
      question: 'Is it true?',
      choices: ["men's vault event", 'b\\c', 'no"quote'],
      answer: 'true',
      unit: null,
      table_title: 'Events',
      table: 'a | b\n1 | 2',
      ans_type: 'boolean_text',
      solution: 's',
    },
    'Read the following table regarding "Events" and answer a question:\na | b\n1 | 2\nIs it true? Please select from the following options: ["men\'s vault event", \'b\\\\c\', \'no"quote\'] (True or False)',
  ],
  [
    'tabmwp',
    {
      question: 'What is the mean?',
      choices: null,
      answer: '84',
      unit: null,
      table_title: null,
      table: 'Name | N\nA | 1',
      ans_type: 'integer_number',
      solution: 's',
    },
    'Read the following table and answer a question:\nName | N\nA | 1\nWhat is the mean?',
  ],
  [
    'tabmwp',
    { question: 'Is it?', choices: ['yes', 'no'], answer: 'no', unit: null, table_title: '', table: 'x', ans_type: 'boolean_text', solution: 's' },
    "Read the following table and answer a question:\nx\nIs it? Please select from the following options: ['yes', 'no'] (Yes or No)",
  ],
  [
    'mmlu_stem',
    { question: ' What is 2+2? ', choices: [' 3', '4 ', 5, 'six'], answer: 1, type: 'elementary_mathematics' },
    'What is 2+2?\nWhat of the following is the right choice? Explain your answer.\n(A) 3, (B) 4, (C) 5, (D) six',
  ],
  [
    'sat_math',
    { question: 'Which is true? ', options: ' A) $x=1$ B) $x=2$ C) $x=3$ D) $x=4$ ', Answer: 'B' },
    'Which is true?\nWhat of the following is the right choice? Explain your answer.\n(A) $x=1$ (B) $x=2$ (C) $x=3$ (D) $x=4$',
  ],
  [
    'mathqa',
    { problem: 'if x + 1 = 3 , then x is :', options: 'a ) a ) 1 , b ) b ) 2 , c ) c ) 3 , d ) d ) 4 , e ) e ) 5', correct: 'b', rationale: 'r' },
    'If x + 1 = 3 , then x is :\nWhat of the following is the right choice? Explain your answer.\n(A) 1, (B) 2, (C) 3, (D) 4, (E) 5',
  ],
  [
    'mathqa',
    { problem: 'find the area .', options: "['a ) 462 cm ²', 'b ) 530 cm ²', 'c ) 1345', 'd ) 1788', 'e ) none']", correct: 'a', rationale: 'r' },
    'Find the area .\nWhat of the following is the right choice? Explain your answer.\n(A) 462 cm ², (B) 530 cm ², (C) 1345, (D) 1788, (E) none',
  ],
  ['gsm8k', { question: 'Janet has 3 eggs. How many?', answer: 'She has 3.\n#### 3' }, 'Janet has 3 eggs. How many?'],
  ['math', { problem: 'Is $1<2$?', solution: 'Yes, so the answer is $\\boxed{\\text{Yes}}$.', level: 'Level 1', type: 'Algebra' }, 'Is $1<2$? (Yes or No)'],
  ['mawps', { input: 'Joan had 3 apples . How many ?', target: 3.0 }, 'Joan had 3 apples . How many ?'],
  ['gsm_hard', { input: 'Janet has 4933828 eggs.', target: -9867630.0, code: 'def solution(): pass' }, 'Janet has 4933828 eggs.'],
];

describe('buildQuestion matches the Python harness', () => {
  it.each(CASES)('%s: %j', (name, record, expected) => {
    expect(buildQuestion(getDataset(name), record)).toBe(expected);
  });
});

describe('question details', () => {
  it('adds no hint for answers that only contain yes/no', () => {
    const spec = getDataset('asdiv');
    const q = buildQuestion(spec, { body: 'A.', question: 'B?', answer: 'yesterday (days)', formula: '' });
    expect(q).toBe('A. B?');
  });

  it('recognises a \\text{} wrapped MATH answer', () => {
    const q = buildQuestion(getDataset('math'), { problem: 'P', solution: '$\\boxed{\\text{False}}$.' });
    expect(q).toBe('P (True or False)');
  });

  it('rejects sat_math options that do not start with A', () => {
    expect(() => buildQuestion(getDataset('sat_math'), { question: 'q', options: 'B) 1', Answer: 'B' })).toThrow(/start with/);
  });

  it('keeps mmlu_stem output choices lettered, as the harness mutates them, without touching the record', () => {
    const record = { idx: 3, question: 'Q', choices: ['a', 'b', 'c', 'd'], answer: 0, type: 'astronomy' };
    const ex = toExample('mmlu_stem', record);
    expect(ex.fields).toEqual({ type: 'astronomy', choices: ['(A) a', '(B) b', '(C) c', '(D) d'], answer: 0 });
    expect(record.choices).toEqual(['a', 'b', 'c', 'd']);
  });

  it('copies math_eval output fields in its order', () => {
    const ex = toExample('minerva_math', { idx: 0, problem: 'P', solution: 'S', answer: '1', subject: 'x', level: 2, unique_id: 'u' });
    expect(Object.keys(ex.fields)).toEqual(['level', 'solution', 'answer']);
    expect(ex.dataName).toBe('minerva_math');
  });
});
