import { describe, expect, it } from 'vitest';
import { thrown } from '../testing/thrown.ts';
import { parseGraderOptions } from './grader-options.ts';

describe('parseGraderOptions', () => {
  it('defaults to the harness with no strict options', () => {
    expect(parseGraderOptions({})).toEqual({ grader: 'harness', strict: {} });
  });
  it('reads the strict options as Math-Verify names them', () => {
    expect(
      parseGraderOptions({ grader: 'both', strictPrecision: '3', strictMatch: 'latex', strictBoxedPriority: '0', strictVariables: false, strictTimeout: '2' }),
    ).toEqual({
      grader: 'both',
      strict: { precision: 3, matchTypes: ['latex'], boxedPriority: 0, strict: false, timeoutMs: 2000 },
    });
  });
  it.each([
    [{ grader: 'sympy' }, /--grader must be one of harness, strict, both/],
    [{ grader: 'strict', strictPrecision: '-1' }, /--strict-precision must be an integer in \[0, 20\]/],
    [{ grader: 'strict', strictMatch: 'latex,string' }, /--strict-match takes latex and\/or expr/],
    [{ grader: 'strict', strictTimeout: '0' }, /--strict-timeout/],
    [{ strictPrecision: '3' }, /the --strict-\* options set the strict grader/],
  ])('%j is refused', (flags, message) => {
    const e = thrown(() => parseGraderOptions(flags));
    expect(e).toMatchObject({ code: 'BAD_CONFIG' });
    expect(String((e as Error).message)).toMatch(message);
  });
});
