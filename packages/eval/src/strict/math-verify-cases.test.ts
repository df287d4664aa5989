/**
 * Math-Verify's own test cases (math-verify-cases.json, derived from its tests/ by
 * scripts/oracle/math_verify_cases.py), each with the options its test passes: the strict grader's
 * verdict must be the expected one on at least 95% of them, and on every case not listed below.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MatchType } from './extract-patterns.ts';
import { extractAnswer } from './extract.ts';
import { strictVerify } from './verify.ts';

interface VerifyCase {
  kind: 'verify';
  gold: string;
  pred: string;
  expected: boolean;
  options: { match_types: MatchType[]; boxed_priority: number; precision: number; strict: boolean; allow_set_relation_comp: boolean };
  source: string;
}
interface ExtractCase {
  kind: 'extract';
  pred: string;
  extracted: string[];
  options: { strings: string[]; lowercase: boolean };
  source: string;
}
const file = JSON.parse(readFileSync(new URL('./math-verify-cases.json', import.meta.url), 'utf8')) as {
  header: { commit: string };
  cases: Array<VerifyCase | ExtractCase>;
};

/** Cases the strict grader is known to get wrong (index into the file, with the reason). */
const KNOWN_MISSES: ReadonlyMap<number, string> = new Map();

function agrees(c: VerifyCase | ExtractCase): boolean {
  if (c.kind === 'extract') {
    const got = extractAnswer(c.pred, { matchTypes: ['string'], strings: c.options.strings, lowercase: c.options.lowercase }).values;
    return JSON.stringify(got) === JSON.stringify(c.extracted);
  }
  const o = c.options;
  const v = strictVerify(c.gold, c.pred, {
    matchTypes: o.match_types,
    boxedPriority: o.boxed_priority,
    precision: o.precision,
    strict: o.strict,
    allowSetRelationComp: o.allow_set_relation_comp,
  });
  return v.equal === c.expected;
}

describe(`Math-Verify's test suite (${file.cases.length} cases at ${file.header.commit.slice(0, 7)})`, () => {
  it('has the cases of every test file it was derived from', () => {
    const files = new Set(file.cases.map((c) => c.source.split(':')[0]));
    expect([...files].sort()).toEqual([
      'tests/test_all.py',
      'tests/test_boxed.py',
      'tests/test_numina_cases.py',
      'tests/test_open_thoughts.py',
      'tests/test_strict.py',
      'tests/test_string_extraction.py',
      'tests/test_yujianll.py',
    ]);
    // both verdicts occur, so agreeing cannot come from answering one way
    const verdicts = new Set(file.cases.filter((c): c is VerifyCase => c.kind === 'verify').map((c) => c.expected));
    expect(verdicts).toEqual(new Set([true, false]));
  });

  it('agrees with the expected verdict on at least 95% of the cases', () => {
    const misses = file.cases.map((c, i) => [i, c] as const).filter(([, c]) => !agrees(c));
    const rate = 1 - misses.length / file.cases.length;
    expect(rate, `misses: ${misses.map(([i, c]) => `${i} (${c.source})`).join(', ')}`).toBeGreaterThanOrEqual(0.95);
  });

  it.each(file.cases.map((c, i) => [i, c.source, c] as const).filter(([i]) => !KNOWN_MISSES.has(i)))('case %i (%s)', (_i, _src, c) => {
    expect(agrees(c)).toBe(true);
  });
});
