/**
 * Sets of reals as membership tests, for comparing sets that are written differently: [-2, 7]
 * and -2 <= x <= 7, (-oo, 1) \cup (2, oo) and |x - 1.5| > 0.5, \{1, 2\} and \{2, 1\}. sympy decides
 * these with as_set and symmetric differences; here two sets are equal when they agree on every
 * test point: each endpoint or element of either set, a hair either side of it, the midpoints
 * between them, and a spread of values out to ±1e6.
 */
import { Complex } from 'complex.js';
import { evaluate, realPart } from '../grader/evaluate.ts';
import { freeSymbols, type Expr } from '../grader/expr.ts';

export interface Membership {
  has(x: number): boolean;
  /** Where the set's boundary can be: its endpoints and elements. */
  points: number[];
}

export type SetSource = { k: 'set'; set: Expr } | { k: 'relation'; rel: Expr; variable: string };

/** A symbol-free real, with \infty and -\infty as ±Infinity; null otherwise. */
function endpoint(e: Expr): number | null {
  if (e.k === 'const' && e.name === 'oo') return Infinity;
  if (e.k === 'neg') {
    const v = endpoint(e.arg);
    return v === null ? null : -v;
  }
  if (freeSymbols(e).size > 0) return null;
  const v = realPart(evaluate(e, new Map()));
  return v !== null && Number.isFinite(v) ? v : null;
}

const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));

function ofSet(e: Expr): Membership | null {
  switch (e.k) {
    case 'interval': {
      const lo = endpoint(e.lo);
      const hi = endpoint(e.hi);
      if (lo === null || hi === null) return null;
      return { has: (x) => (e.loOpen ? x > lo : x >= lo) && (e.hiOpen ? x < hi : x <= hi), points: [lo, hi].filter(Number.isFinite) };
    }
    case 'set': {
      const values = e.items.map(endpoint);
      if (values.some((v) => v === null || !Number.isFinite(v))) return null;
      const vs = values as number[];
      return { has: (x) => vs.some((v) => near(v, x)), points: vs };
    }
    case 'setop': {
      const parts = e.args.map(ofSet);
      if (parts.some((p) => p === null)) return null;
      const ps = parts as Membership[];
      const has =
        e.op === 'union'
          ? (x: number) => ps.some((p) => p.has(x))
          : e.op === 'intersect'
            ? (x: number) => ps.every((p) => p.has(x))
            : (x: number) => ps[0]!.has(x) && !ps.slice(1).some((p) => p.has(x));
      return { has, points: ps.flatMap((p) => p.points) };
    }
    case 'numset':
      if (e.name === 'R' || e.name === 'C') return { has: () => true, points: [] };
      if (e.name === 'Z') return { has: (x) => Number.isInteger(x), points: [0] };
      if (e.name === 'N') return { has: (x) => Number.isInteger(x) && x > 0, points: [0, 1] };
      return null;
    default:
      return null;
  }
}

function holds(rel: Expr, variable: string, x: number): boolean {
  if (rel.k === 'and') return rel.args.every((r) => holds(r, variable, x));
  if (rel.k !== 'rel') return false;
  const env = new Map([[variable, new Complex(x, 0)]]);
  const a = realPart(evaluate(rel.lhs, env));
  const b = realPart(evaluate(rel.rhs, env));
  if (a === null || b === null) return false;
  switch (rel.op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b || near(a, b);
    case '>':
      return a > b;
    case '>=':
      return a >= b || near(a, b);
    case '=':
      return near(a, b);
    case '!=':
      return !near(a, b);
    default:
      return false;
  }
}

function constantsOf(e: Expr, out: number[]): void {
  const v = endpoint(e);
  if (v !== null && Number.isFinite(v)) out.push(v);
  else if (e.k === 'rel') {
    constantsOf(e.lhs, out);
    constantsOf(e.rhs, out);
  } else if (e.k === 'and') e.args.forEach((a) => constantsOf(a, out));
}

export function membership(src: SetSource): Membership | null {
  if (src.k === 'set') return ofSet(src.set);
  const points: number[] = [0];
  constantsOf(src.rel, points);
  return { has: (x) => holds(src.rel, src.variable, x), points };
}

const SPREAD = [0, 0.25, 0.5, 1, 1.5, 2, 3.3, 7.7, 10, 31, 100, 999, 1e4, 1e6];

export function setTestPoints(sets: readonly Membership[]): number[] {
  const base = [...new Set(sets.flatMap((s) => s.points))].sort((a, b) => a - b);
  const out = new Set<number>(SPREAD.flatMap((v) => [v, -v]));
  base.forEach((p, k) => {
    const h = 1e-7 * Math.max(1, Math.abs(p));
    out
      .add(p)
      .add(p - h)
      .add(p + h);
    if (k + 1 < base.length) out.add((p + base[k + 1]!) / 2);
  });
  return [...out];
}
