/**
 * The harness's `symbolic_equal`, with sympy replaced by a parser and numeric evaluation:
 * parse both sides (LaTeX first, Python syntax second, each first with "\\\\" read as "\\");
 * equal when the trees match, when their difference vanishes at complex sample points (sympy's
 * simplify(a - b) == 0, its symbols being complex), when two relations' |lhs - rhs| agree, when
 * two constants agree within relative 1e-4 (float(N(a)) vs float(N(b))), or when two matrices
 * agree rounded to 3 places.
 */
import { exprKey, freeSymbols, type Expr } from './expr.ts';
import { Complex } from 'complex.js';
import { complexClose, evaluate, realValue } from './evaluate.ts';
import { parseLatex, parseLatex2Sympy } from './latex-parse.ts';
import { numericEqual } from './numeric.ts';
import { parsePython } from './python-parse.ts';
import { pyRound } from '../normalize/python.ts';

const MAX_PARSE_CHARS = 2000;

export function parseAnswer(s: string): Expr | null {
  if (s.length > MAX_PARSE_CHARS) return null;
  const variants = s.includes('\\\\') ? [s.split('\\\\').join('\\'), s] : [s];
  for (const parse of [parseLatex, parsePython, parseLatex2Sympy]) {
    for (const v of variants) {
      const e = parse(v);
      if (e) return e;
    }
  }
  return null;
}

/** A deterministic value in [0, 1) per symbol name and salt. */
function unit(name: string, salt: number): number {
  let h = 2166136261 ^ Math.imul(salt + 1, 2654435761);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  h = Math.imul(h ^ (h >>> 15), 2246822507);
  return ((h ^ (h >>> 13)) >>> 0) / 4294967296;
}

/**
 * Sample points, off the real line: sympy's symbols are complex, so an identity it accepts holds
 * for complex values and one true only for positive reals fails there. Angles are chosen, not
 * drawn, so that each way such identities break is met: all symbols in the left half-plane
 * (\sqrt{x^2} vs x; \ln(xy) vs \ln x + \ln y, whose arguments then add past pi), symbols on
 * opposite sides of the real axis (\sqrt{x}/\sqrt{y} vs \sqrt{x/y}), a large real part
 * (\arcsin(\sin x) vs x); a last round draws every angle. Each value is a fraction of a turn.
 */
const TURNS: readonly ((index: number, name: string) => number)[] = [
  () => 0.04,
  () => 0.375,
  () => -0.375,
  (j) => (j % 2 === 0 ? 0.4 : -0.4),
  (j) => (j % 2 === 0 ? -0.3 : 0.45),
  (_j, name) => unit(name, 5),
];
/** How many sample environments sameValueEverywhere tries (the strict grader samples the same points). */
export const ROUNDS = TURNS.length;

export function sampleEnv(names: Iterable<string>, round: number): Map<string, Complex> {
  const env = new Map<string, Complex>();
  [...names].sort().forEach((name, j) => {
    // small per-name offsets keep distinct symbols from coinciding
    const turn = TURNS[round]!(j, name) + 0.02 * unit(name, 0);
    const abs = round === 0 ? 2.2 + 0.5 * unit(name, 1) : 0.6 + 1.6 * unit(name, 100 + round);
    env.set(name, new Complex({ abs, arg: 2 * Math.PI * turn }));
  });
  return env;
}

const modulus = (z: Complex): Complex => new Complex(z.abs(), 0);

/** Do a and b take the same value at every sample point (sympy's simplify(a - b) == 0)? */
export function sameValueEverywhere(a: Expr, b: Expr, transform: (z: Complex) => Complex = (z) => z): boolean {
  const names = new Set([...freeSymbols(a), ...freeSymbols(b)]);
  const rounds = names.size === 0 ? 1 : ROUNDS;
  for (let r = 0; r < rounds; r++) {
    const env = sampleEnv(names, r);
    // simplify(a - b) == 0 holds at a sample point when the difference is rounding error of the evaluation
    if (!complexClose(transform(evaluate(a, env)), transform(evaluate(b, env)), 1e-9)) return false;
  }
  return true;
}

function constantValue(e: Expr): number | null {
  return freeSymbols(e).size > 0 ? null : realValue(e);
}

export function symbolicEqualExprs(a: Expr, b: Expr): boolean {
  if (exprKey(a) === exprKey(b)) return true;
  // A set equals only a set with the same elements (Python's set ==); true and false only themselves.
  if (a.k === 'set' || b.k === 'set' || a.k === 'bool' || b.k === 'bool') return false;
  if (a.k === 'matrix' || b.k === 'matrix') {
    if (a.k !== 'matrix' || b.k !== 'matrix') return false;
    if (a.rows.length !== b.rows.length || a.rows[0]!.length !== b.rows[0]!.length) return false;
    const cells = (m: typeof a) => m.rows.flat();
    const ca = cells(a);
    const cb = cells(b);
    if (ca.every((x, i) => sameValueEverywhere(x, cb[i]!))) return true;
    return ca.every((x, i) => {
      const va = constantValue(x);
      const vb = constantValue(cb[i]!);
      return va !== null && vb !== null && pyRound(va, 3) === pyRound(vb, 3);
    });
  }
  if (a.k === 'tuple' || b.k === 'tuple') return false;
  if (a.k === 'rel' || b.k === 'rel') {
    // The harness compares abs(lhs - rhs) for any two relations, whatever their kind: x<1 and
    // -x>-1 are equal there, and so are x>1 and x<1. This also covers Relational.equals.
    if (a.k !== 'rel' || b.k !== 'rel') return false;
    const da: Expr = { k: 'add', args: [a.lhs, { k: 'neg', arg: a.rhs }] };
    const db: Expr = { k: 'add', args: [b.lhs, { k: 'neg', arg: b.rhs }] };
    return sameValueEverywhere(da, db, modulus);
  }
  if (sameValueEverywhere(a, b)) return true;
  const va = constantValue(a);
  const vb = constantValue(b);
  return va !== null && vb !== null && numericEqual(va, vb);
}

export function symbolicEqual(a: string, b: string): boolean {
  const ea = parseAnswer(a);
  const eb = parseAnswer(b);
  if (!ea || !eb) return !ea && !eb && a === b;
  return symbolicEqualExprs(ea, eb);
}
