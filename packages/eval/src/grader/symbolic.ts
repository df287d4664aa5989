/**
 * The harness's `symbolic_equal`, with sympy replaced by a parser and numeric evaluation:
 * parse both sides (LaTeX first, Python syntax second, each first with "\\\\" read as "\\");
 * equal when the trees match, when their difference vanishes at several sample points (sympy's
 * simplify(a - b) == 0), when two equations' |lhs - rhs| agree, when two constants agree within
 * relative 1e-4 (float(N(a)) vs float(N(b))), or when two matrices agree rounded to 3 places.
 */
import { exprKey, freeSymbols, type Expr } from './expr.ts';
import { evaluate } from './evaluate.ts';
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

/** Deterministic, well-spread sample values per symbol name and round. */
function sampleEnv(names: Iterable<string>, round: number): Map<string, number> {
  const env = new Map<string, number>();
  for (const name of names) {
    let h = 2166136261 ^ round;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
    const u = ((h >>> 0) % 100000) / 100000;
    env.set(name, 0.31 + 1.7 * u + 0.13 * round);
  }
  return env;
}

const ROUNDS = 3;

const REVERSED: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '=': '=', '!=': '!=' };

function tightClose(a: number, b: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

function sameValueEverywhere(a: Expr, b: Expr, transform: (x: number) => number = (x) => x): boolean {
  const names = new Set([...freeSymbols(a), ...freeSymbols(b)]);
  for (let r = 0; r < ROUNDS; r++) {
    const env = sampleEnv(names, r);
    const va = transform(evaluate(a, env));
    const vb = transform(evaluate(b, env));
    if (Number.isNaN(va) || Number.isNaN(vb) || !tightClose(va, vb)) return false;
  }
  return true;
}

function constantValue(e: Expr): number | null {
  if (freeSymbols(e).size > 0) return null;
  const v = evaluate(e, new Map());
  return Number.isFinite(v) ? v : null;
}

export function symbolicEqualExprs(a: Expr, b: Expr): boolean {
  if (exprKey(a) === exprKey(b)) return true;
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
    if (a.k !== 'rel' || b.k !== 'rel') return false;
    // Relational.equals: the same relation with equal sides, either way round
    const sidesEqual = (x: Expr, y: Expr) => sameValueEverywhere(x, y);
    if (a.op === b.op && sidesEqual(a.lhs, b.lhs) && sidesEqual(a.rhs, b.rhs)) return true;
    if (REVERSED[a.op] === b.op && sidesEqual(a.lhs, b.rhs) && sidesEqual(a.rhs, b.lhs)) return true;
    if (a.op !== '=' || b.op !== '=') return false;
    const da: Expr = { k: 'add', args: [a.lhs, { k: 'neg', arg: a.rhs }] };
    const db: Expr = { k: 'add', args: [b.lhs, { k: 'neg', arg: b.rhs }] };
    return sameValueEverywhere(da, db, Math.abs);
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
