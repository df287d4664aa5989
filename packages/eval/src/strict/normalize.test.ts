import { describe, expect, it } from 'vitest';
import { extractBoxed, normalizeLatex } from './normalize.ts';

describe('extractBoxed', () => {
  it.each([
    ['so \\boxed{3} and then \\boxed{\\frac{1}{2}}', 'last', '3,\\frac{1}{2}'],
    // boxes far apart with no separator between them: only the last
    ['\\boxed{1} no no no no no no no no no no \\boxed{2}', 'last', '2'],
    ['\\boxed{1} no no no no no no no no no no \\boxed{2}', 'all', '1,2'],
    ['\\boxed{a{b}c}.', 'last', 'a{b}c'],
    ['no box here', 'last', 'no box here'],
    // an unclosed box is read to the end
    ['\\boxed{12', 'last', '{12'],
  ] as const)('%j (%s) -> %j', (text, mode, want) => {
    expect(extractBoxed(text, mode)).toBe(want);
  });
});

describe('normalizeLatex', () => {
  it.each([
    ['\\frac{1}{3} \\textbf{meters}', '\\frac{1}{3}'],
    ['15\\mbox{ cm}^2', '15'],
    ['125\\textnormal{ miles}', '125'],
    ['28 percent', '28\\%'],
    ['28 pct', '28\\%'],
    ['\\dfrac{1}{3}', '\\frac{1}{3}'],
    ['\\cfrac{1}{3}', '\\frac{1}{3}'],
    ['\\frac13', '\\frac{1}{3}'],
    ['\\sqrt3', '\\sqrt{3}'],
    ['1/3', '\\frac{1}{3}'],
    ['.5', '\\frac{1}{2}'],
    ['14{,}916', '14,916'],
    ['6 \\text{ and } 8', '6, 8'],
    ['\\left( 3, \\frac{\\pi}{2} \\right)', '( 3, \\frac{\\pi}{2} )'],
    ['\\mathrm{e}', '\\text{e}'],
    ['\\\\sqrt{2}', '\\sqrt{2}'],
  ])('%j -> %j', (text, want) => {
    expect(normalizeLatex(text)).toBe(want);
  });
});
