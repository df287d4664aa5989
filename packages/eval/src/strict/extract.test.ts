import { describe, expect, it } from 'vitest';
import { exprKey } from '../grader/expr.ts';
import { extractAnswer } from './extract.ts';

const values = (text: string, opts = {}) => extractAnswer(text, opts).values.map((v) => (typeof v === 'string' ? `"${v}"` : exprKey(v)));

describe('extractAnswer', () => {
  it('reads "final answer is ... I hope" before a \\boxed at the default priority; at priority 0 the rightmost of the two', () => {
    const text = 'Final Answer: The final answer is $2$. I hope it is correct. Or $\\boxed{1}$';
    expect(values(text)[0]).toBe('2');
    expect(values(text, { boxedPriority: 0 })[0]).toBe('1');
    expect(values(text, { boxedPriority: -1 })[0]).toBe('2');
  });
  it('takes the rightmost match of a priority', () => {
    expect(values('first $3$ then $4$')[0]).toBe('4');
  });
  it.each([
    ['1 000', '1000'],
    ['1,000.99$', '1000.99'],
    ['Soucis : 2,74 $ a..', '2.74'],
    ['.4', '0.4'],
    ['28 percent', '(pct 28)'],
  ])('plain numbers: %j -> %s', (text, want) => {
    expect(values(text, { matchTypes: ['expr'] })[0]).toBe(want);
  });
  it('keeps the first text it matched beside the answer, and alone when nothing reads', () => {
    expect(values('$\\text{The midpoints}$')).toEqual(['themidpoints', '"\\text{The midpoints}"']);
    expect(values('$\\cdots$')).toEqual(['"\\cdots"']);
    expect(extractAnswer('no answer', { matchTypes: ['latex'] })).toEqual({ values: [], text: '' });
  });
  it('joins several environments into one set', () => {
    expect(values('$1$ and $2$ and $3$')[0]).toBe('(set 1 2 3)');
  });
  it('finds choice letters for the string match type', () => {
    expect(extractAnswer('The answer is (C).', { matchTypes: ['string'], strings: ['A', 'B', 'C', 'D', 'E'] }).values).toEqual([]);
    expect(extractAnswer('The answer is C.', { matchTypes: ['string'], strings: ['A', 'B', 'C', 'D', 'E'] }).values).toEqual(['c', 'C']);
  });
});
