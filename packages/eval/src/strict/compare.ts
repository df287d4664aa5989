/**
 * Math-Verify's `verify`: is any reading of the prediction equal to any reading of the gold
 * answer? Two expressions are compared (sympy_expr_eq, in its order): assignments cut to their
 * last value (x = 5+5+1 = 11 is x = 11; against a plain value, x = 11 is 11); identical
 * structure; relations by their sides (flipped forms equal, proportional equations equal);
 * sets, tuples and intervals (sets in any order, intervals with their open and closed ends, a
 * relation in one variable against a set by its solution set); symbols by name; then numbers
 * (a float on either side rounded to `precision` places, otherwise exact) and symbolic equality
 * (the shared sampling core: the difference vanishes at every sample point). Two fallback texts
 * are equal when they are the same non-empty text. Every comparison runs against a deadline.
 */
import type { Complex } from 'complex.js';
import { evaluate, realPart } from '../grader/evaluate.ts';
import { exprKey, freeSymbols, renameSymbol, type Expr } from '../grader/expr.ts';
import { ROUNDS, sameValueEverywhere, sampleEnv } from '../grader/symbolic.ts';
import type { Extracted } from './extract.ts';
import { isRationalLiteral, onlySymbols } from './latex-reader.ts';
import { membership, setTestPoints, type Membership } from './set-membership.ts';

export interface CompareOptions {
  /** Decimal places a float is rounded to before it is compared (Math-Verify's float_rounding). */
  precision: number;
  /** false: variables are matched by position, so f(x) equals f(y). */
  strict: boolean;
  /** Compare a relation in the gold answer with a set in the prediction (always done the other way round). */
  allowSetRelationComp: boolean;
  /** Milliseconds for one comparison of a gold and a predicted reading. */
  timeoutMs: number;
}

export const DEFAULT_COMPARE: Readonly<CompareOptions> = Object.freeze({ precision: 6, strict: true, allowSetRelationComp: false, timeoutMs: 5000 });

export class CompareTimeout {}

/** A relation read as the set of values of its one variable that satisfy it (sympy's as_set). */
interface RelationSet {
  k: 'relset';
  rel: Expr;
  variable: string;
}
type Value = Expr | RelationSet;

const SET_KINDS = new Set(['set', 'interval', 'setop', 'numset']);
const isSet = (e: Value): boolean => SET_KINDS.has(e.k);
const isSetOrTuple = (e: Value): boolean => isSet(e) || e.k === 'tuple' || e.k === 'relset';
const isRelation = (e: Value): boolean => e.k === 'rel' || (e.k === 'and' && e.args.length > 0 && e.args.every((a) => a.k === 'rel'));
const isEquation = (e: Value): boolean =>
  (e.k === 'rel' && e.op === '=') || (e.k === 'and' && e.args.length > 0 && e.args.every((a) => a.k === 'rel' && a.op === '='));
const firstRel = (e: Expr): Extract<Expr, { k: 'rel' }> => (e.k === 'and' ? firstRel(e.args[0]!) : (e as Extract<Expr, { k: 'rel' }>));
const lastRel = (e: Expr): Extract<Expr, { k: 'rel' }> => (e.k === 'and' ? lastRel(e.args[e.args.length - 1]!) : (e as Extract<Expr, { k: 'rel' }>));
function isAssignment(e: Value): boolean {
  if (e.k === 'rel') return e.op === '=' && onlySymbols(e.lhs);
  return e.k === 'and' && isEquation(e) && onlySymbols(firstRel(e).lhs);
}
const diff = (a: Expr, b: Expr): Expr => ({ k: 'add', args: [a, { k: 'neg', arg: b }] });

/** A plain number: an integer, a decimal (a float), a rational literal, negated or as a percentage. */
function numberKind(e: Expr): 'float' | 'exact' | null {
  if (e.k === 'pct') return numberKind(e.arg);
  if (e.k === 'neg') return numberKind(e.arg);
  if (e.k === 'num') return /[.eE]/.test(e.text) ? 'float' : 'exact';
  if (isRationalLiteral(e)) return 'exact';
  return null;
}

function hasInfinity(e: Expr): boolean {
  if (e.k === 'const') return e.name === 'oo';
  const kids: Expr[] =
    'args' in e && Array.isArray(e.args)
      ? e.args
      : 'items' in e
        ? e.items
        : 'arg' in e
          ? [e.arg]
          : e.k === 'div'
            ? [e.num, e.den]
            : e.k === 'pow'
              ? [e.base, e.exp]
              : e.k === 'rel'
                ? [e.lhs, e.rhs]
                : [];
  return kids.some(hasInfinity);
}

/** A symbol-free scalar's value; NaN when it has none (x/0), null when it is not a finite real. */
function constant(e: Expr): number | null {
  if (freeSymbols(e).size > 0) return null;
  const v = realPart(evaluate(e, new Map()));
  return v !== null && Number.isFinite(v) ? v : null;
}

/** Python's round(x, n) on the decimal value (ties away from zero are rare enough to ignore here). */
function roundTo(x: number, places: number): number {
  return Number(x.toFixed(Math.max(0, Math.min(100, places))));
}

class Comparer {
  private readonly deadline: number;
  constructor(private readonly o: CompareOptions) {
    this.deadline = performance.now() + o.timeoutMs;
  }

  private tick(): void {
    if (performance.now() > this.deadline) throw new CompareTimeout();
  }

  /** sympy_expr_eq */
  equal(goldIn: Value, predIn: Value): boolean {
    this.tick();
    let gold = goldIn;
    let pred = predIn;
    if (!this.o.strict && gold.k !== 'relset' && pred.k !== 'relset') {
      // variables matched by position, so that f(x) equals f(y)
      const g = [...freeSymbols(gold)].sort();
      const p = [...freeSymbols(pred)].sort();
      if (g.length === p.length) {
        let renamed: Expr = pred;
        p.forEach((name, k) => (renamed = renameSymbol(renamed, name, `\u0000${k}`)));
        g.forEach((name, k) => (renamed = renameSymbol(renamed, `\u0000${k}`, name)));
        pred = renamed;
      }
    }
    const goldAssign = isAssignment(gold);
    const predAssign = isAssignment(pred);
    const goldEq = isEquation(gold);
    const predEq = isEquation(pred);
    // x = 5+5+1 = 11 is x = 11
    if (goldAssign) gold = { k: 'rel', op: '=', lhs: firstRel(gold as Expr).lhs, rhs: lastRel(gold as Expr).rhs };
    if (predAssign) pred = { k: 'rel', op: '=', lhs: firstRel(pred as Expr).lhs, rhs: lastRel(pred as Expr).rhs };
    // the gold answer's form decides: against a plain value, an equation is its last value;
    // an assignment in the gold (k = 1) is its value against a prediction that is no equation
    if (predEq && !goldEq) pred = lastRel(pred as Expr).rhs;
    else if (goldAssign && !predEq) gold = lastRel(gold as Expr).rhs;

    if (isRelation(gold) && isSet(pred)) gold = this.asSet(gold as Expr) ?? gold;
    if (this.o.allowSetRelationComp && isRelation(pred) && isSet(gold)) pred = this.asSet(pred as Expr) ?? pred;

    if (gold.k !== 'relset' && pred.k !== 'relset') {
      // sympy_str_eq raises on an undefined gold value (x/0): no comparison of it succeeds
      if (
        !isSetOrTuple(gold) &&
        !isRelation(gold) &&
        gold.k !== 'matrix' &&
        !hasInfinity(gold) &&
        freeSymbols(gold).size === 0 &&
        Number.isNaN(evaluate(gold, new Map()).re)
      )
        return false;
      if (exprKey(gold) === exprKey(pred)) return true;
    }
    if (isRelation(gold) && isRelation(pred)) return this.relations(gold as Expr, pred as Expr);
    if (isSetOrTuple(gold) || isSetOrTuple(pred)) return this.sets(gold, pred);
    const g = gold as Expr;
    const p = pred as Expr;
    if (g.k === 'sym' || p.k === 'sym') return this.symbols(g, p);
    return this.numeric(g, p) || this.symbolic(g, p);
  }

  /** One variable's solution set of a relation (functions f(x) count as a variable); null when not one variable. */
  private asSet(rel: Expr): RelationSet | null {
    const names = freeSymbols(unwrapCalls(rel));
    if (names.size !== 1) return null;
    return { k: 'relset', rel: unwrapCalls(rel), variable: [...names][0]! };
  }

  private relations(gold: Expr, pred: Expr): boolean {
    if (gold.k === 'and' && pred.k === 'and') {
      return gold.args.length === pred.args.length && gold.args.every((g, k) => this.relations(g, pred.args[k]!));
    }
    if (gold.k !== 'rel' || pred.k !== 'rel') return false;
    const inverse: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '=': '=' };
    if (gold.op === pred.op && this.equal(diff(gold.lhs, gold.rhs), diff(pred.lhs, pred.rhs))) return true;
    if (inverse[gold.op] === pred.op && this.equal(diff(gold.lhs, gold.rhs), diff(pred.rhs, pred.lhs))) return true;
    return this.sameSolutions(gold, pred);
  }

  /**
   * sympy's solve-and-compare, for the relations it settles: both sides moved to the left
   * (greater-than turned round), the same relation, and one left side a constant multiple of the
   * other at every sample point (positive for an inequality), so 2x + 4y - 3 = 0 is y = -x/2 + 3/4.
   */
  private sameSolutions(gold: Extract<Expr, { k: 'rel' }>, pred: Extract<Expr, { k: 'rel' }>): boolean {
    const canon = (r: Extract<Expr, { k: 'rel' }>): [string, Expr] =>
      r.op === '>' ? ['<', diff(r.rhs, r.lhs)] : r.op === '>=' ? ['<=', diff(r.rhs, r.lhs)] : [r.op, diff(r.lhs, r.rhs)];
    const [og, dg] = canon(gold);
    const [op, dp] = canon(pred);
    if (og !== op) return false;
    const names = new Set([...freeSymbols(dg), ...freeSymbols(dp)]);
    if (names.size === 0) return false;
    let ratio: Complex | null = null;
    for (let r = 0; r < ROUNDS; r++) {
      this.tick();
      const env = sampleEnv(names, r);
      const a = evaluate(dg, env);
      const b = evaluate(dp, env);
      if (![a.re, a.im, b.re, b.im].every(Number.isFinite) || b.abs() < 1e-12) return false;
      const q = a.div(b);
      if (ratio === null) ratio = q;
      else if (q.sub(ratio).abs() > 1e-9 * Math.max(1, ratio.abs())) return false;
    }
    if (!ratio || ratio.abs() < 1e-12 || Math.abs(ratio.im) > 1e-9 * ratio.abs()) return false;
    return og === '=' || og === '!=' || ratio.re > 0;
  }

  private sets(goldIn: Value, predIn: Value): boolean {
    const gold: Value = isSetOrTuple(goldIn) ? goldIn : { k: 'set', items: [goldIn as Expr] };
    const pred: Value = isSetOrTuple(predIn) ? predIn : { k: 'set', items: [predIn as Expr] };
    if (gold.k === 'interval' && pred.k === 'interval') {
      return gold.loOpen === pred.loOpen && gold.hiOpen === pred.hiOpen && this.equal(gold.lo, pred.lo) && this.equal(gold.hi, pred.hi);
    }
    if (gold.k !== 'relset' && pred.k !== 'relset' && exprKey(gold) === exprKey(pred)) return true;
    // equal as sets of reals: the same members at every test point
    if (gold.k !== 'tuple' && pred.k !== 'tuple') {
      const a = this.members(gold);
      const b = this.members(pred);
      if (a && b && setTestPoints([a, b]).every((x) => a.has(x) === b.has(x))) return true;
    }
    const finite = (e: Value): e is Extract<Expr, { k: 'set' | 'tuple' }> => e.k === 'set' || e.k === 'tuple';
    if (finite(gold) && finite(pred)) return this.elements(gold, pred);
    // (1,2) is an open interval, and may be meant as the pair 1, 2
    if (gold.k === 'interval' && gold.loOpen && gold.hiOpen && finite(pred) && pred.items.length === 2)
      return this.elements({ k: 'tuple', items: [gold.lo, gold.hi] }, pred);
    if (pred.k === 'interval' && pred.loOpen && pred.hiOpen && finite(gold) && gold.items.length === 2)
      return this.elements(gold, { k: 'tuple', items: [pred.lo, pred.hi] });
    return false;
  }

  private members(e: Value): Membership | null {
    if (e.k === 'relset') return membership({ k: 'relation', rel: e.rel, variable: e.variable });
    return membership({ k: 'set', set: e });
  }

  /** sympy_deep_compare_set_and_tuple: element by element, sets sorted first (a tuple keeps its order). */
  private elements(gold: Extract<Expr, { k: 'set' | 'tuple' }>, pred: Extract<Expr, { k: 'set' | 'tuple' }>): boolean {
    const g = dedupe(gold);
    const p = dedupe(pred);
    if (g.length !== p.length) return false;
    let gs = g;
    let ps = p;
    if (gold.k === 'set') {
      gs = sortElements(g);
      ps = sortElements(p);
    } else if (pred.k === 'set') {
      // a tuple against a set: the set's elements in the order they were written
      ps = p;
    }
    if (gs.every((x, k) => this.equal(x, ps[k]!))) return true;
    // a set's own equality does not depend on order: match the elements any way round
    return gold.k === 'set' && pred.k === 'set' && this.matchAny(gs, ps);
  }

  private matchAny(gold: Expr[], pred: Expr[]): boolean {
    if (gold.length > 12) return false;
    const used = new Array<boolean>(pred.length).fill(false);
    const go = (k: number): boolean => {
      if (k === gold.length) return true;
      for (let j = 0; j < pred.length; j++) {
        if (used[j] || !this.equal(gold[k]!, pred[j]!)) continue;
        used[j] = true;
        if (go(k + 1)) return true;
        used[j] = false;
      }
      return false;
    };
    return go(0);
  }

  /** sympy_compare_symbols: \text{odd} is o*dd, E is e, and a long name is compared in lower case. */
  private symbols(gold: Expr, pred: Expr): boolean {
    const isE = (e: Expr) => e.k === 'const' && e.name === 'E';
    if ((gold.k === 'sym' && gold.name.toLowerCase() === 'e' && isE(pred)) || (pred.k === 'sym' && pred.name.toLowerCase() === 'e' && isE(gold))) return true;
    const concat = (m: Expr): string | null =>
      m.k === 'mul' && m.args.every((a) => a.k === 'sym' || isE(a)) ? m.args.map((a) => (a.k === 'sym' ? a.name : 'e')).join('') : null;
    if (gold.k === 'sym' && pred.k === 'mul') {
      const c = concat(pred);
      if (c !== null) return gold.name.toLowerCase() === c.toLowerCase();
    }
    if (pred.k === 'sym' && gold.k === 'mul') {
      const c = concat(gold);
      if (c !== null) return pred.name.toLowerCase() === c.toLowerCase();
    }
    if (gold.k === 'sym' && pred.k === 'sym') {
      const name = (n: string) => (n.length > 1 ? n.toLowerCase() : n);
      return name(gold.name) === name(pred.name);
    }
    return exprKey(gold) === exprKey(pred);
  }

  /** sympy_numeric_eq: matrices cell by cell; a float rounded to `precision` places; other numbers exactly. */
  private numeric(goldIn: Expr, predIn: Expr): boolean {
    // sums and products of matrices are worked out first (safe_sympy_doit)
    const gold = matrixValue(goldIn) ?? goldIn;
    const pred = matrixValue(predIn) ?? predIn;
    if (gold.k === 'matrix' || pred.k === 'matrix') {
      if (gold.k !== 'matrix' || pred.k !== 'matrix') return false;
      if (gold.rows.length !== pred.rows.length || gold.rows[0]!.length !== pred.rows[0]!.length) return false;
      const a = gold.rows.flat();
      const b = pred.rows.flat();
      return a.every((x, k) => this.numeric(x, b[k]!) || sameValueEverywhere(x, b[k]!));
    }
    const kg = numberKind(gold);
    const kp = numberKind(pred);
    if (kg !== null || kp !== null) {
      const a = constant(gold);
      const b = constant(pred);
      if (a === null || b === null) return false;
      if (kg === 'float' || kp === 'float') return roundTo(a, this.o.precision) === roundTo(b, this.o.precision);
      return Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
    }
    const a = constant(gold);
    const b = constant(pred);
    return a !== null && b !== null && Math.abs(a - b) <= 1e-13 * Math.max(1, Math.abs(a), Math.abs(b));
  }

  /** sympy_symbolic_eq: simplify(gold - pred) is zero, as the shared core decides it by sampling. */
  private symbolic(gold: Expr, pred: Expr): boolean {
    this.tick();
    if (gold.k === 'matrix' || pred.k === 'matrix') return false;
    if (numberKind(gold) === 'float' || numberKind(pred) === 'float') return false;
    return sameValueEverywhere(gold, pred);
  }
}

type Matrix = Extract<Expr, { k: 'matrix' }>;

/** The matrix a sum, product or negation of matrices (and scalars) comes to; null when it is no matrix. */
function matrixValue(e: Expr): Matrix | null {
  switch (e.k) {
    case 'matrix':
      return e;
    case 'neg': {
      const m = matrixValue(e.arg);
      return m && { k: 'matrix', rows: m.rows.map((r) => r.map((x): Expr => ({ k: 'neg', arg: x }))) };
    }
    case 'add': {
      const ms = e.args.map(matrixValue);
      if (ms.every((m) => m === null)) return null;
      if (ms.some((m) => m === null)) return null;
      const [first, ...rest] = ms as Matrix[];
      if (rest.some((m) => m.rows.length !== first!.rows.length || m.rows[0]!.length !== first!.rows[0]!.length)) return null;
      return { k: 'matrix', rows: first!.rows.map((r, i) => r.map((x, j): Expr => ({ k: 'add', args: [x, ...rest.map((m) => m.rows[i]![j]!)] }))) };
    }
    case 'mul': {
      let acc: Expr | null = null;
      let any = false;
      for (const a of e.args) {
        const m = matrixValue(a);
        any ||= m !== null;
        const v: Expr = m ?? a;
        if (acc === null) acc = v;
        else if (acc.k === 'matrix' && v.k === 'matrix') {
          const x: Matrix = acc;
          const y: Matrix = v;
          if (x.rows[0]!.length !== y.rows.length) return null;
          acc = {
            k: 'matrix',
            rows: x.rows.map((r) => y.rows[0]!.map((_, j): Expr => ({ k: 'add', args: r.map((c, t): Expr => ({ k: 'mul', args: [c, y.rows[t]![j]!] })) }))),
          };
        } else if (acc.k === 'matrix' || v.k === 'matrix') {
          const m: Matrix = acc.k === 'matrix' ? acc : (v as Matrix);
          const scalar: Expr = acc.k === 'matrix' ? v : acc;
          acc = { k: 'matrix', rows: m.rows.map((r) => r.map((c): Expr => ({ k: 'mul', args: [scalar, c] }))) };
        } else acc = { k: 'mul', args: [acc, v] };
      }
      return any && acc?.k === 'matrix' ? acc : null;
    }
    default:
      return null;
  }
}

function dedupe(e: Extract<Expr, { k: 'set' | 'tuple' }>): Expr[] {
  if (e.k === 'tuple') return e.items;
  const seen = new Set<string>();
  return e.items.filter((x) => {
    const key = exprKey(x);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** sympy's ordering of a set's elements: by value where there is one (an assignment by its value), else by structure. */
function sortElements(items: Expr[]): Expr[] {
  const unwrap = (e: Expr): Expr => (isAssignment(e) ? lastRel(e).rhs : e);
  const compare = (a: Expr, b: Expr): number => {
    const x = unwrap(a);
    const y = unwrap(b);
    if (x.k === 'tuple' && y.k === 'tuple') {
      for (let k = 0; k < Math.min(x.items.length, y.items.length); k++) {
        const c = compare(x.items[k]!, y.items[k]!);
        if (c !== 0) return c;
      }
      return x.items.length - y.items.length;
    }
    const vx = x.k === 'tuple' ? null : constant(x);
    const vy = y.k === 'tuple' ? null : constant(y);
    if (vx !== null && vy !== null) return vx - vy;
    if (vx !== null) return -1;
    if (vy !== null) return 1;
    const kx = exprKey(x);
    const ky = exprKey(y);
    return kx < ky ? -1 : kx > ky ? 1 : 0;
  };
  return [...items].sort(compare);
}

/** unwrap_fcs: an undefined function call f(x) becomes the symbol f_x. */
function unwrapCalls(e: Expr): Expr {
  if (e.k === 'fn' && e.name.startsWith('?')) return { k: 'sym', name: `${e.name.slice(1)}_${e.args.map(exprKey).join('_')}` };
  switch (e.k) {
    case 'rel':
      return { ...e, lhs: unwrapCalls(e.lhs), rhs: unwrapCalls(e.rhs) };
    case 'and':
    case 'add':
    case 'mul':
      return { ...e, args: e.args.map(unwrapCalls) } as Expr;
    case 'fn':
      return { ...e, args: e.args.map(unwrapCalls) };
    case 'neg':
      return { k: 'neg', arg: unwrapCalls(e.arg) };
    case 'div':
      return { k: 'div', num: unwrapCalls(e.num), den: unwrapCalls(e.den) };
    case 'pow':
      return { k: 'pow', base: unwrapCalls(e.base), exp: unwrapCalls(e.exp) };
    default:
      return e;
  }
}

export type CompareResult = { equal: boolean; timedOut: boolean };

/** verify(gold, pred): any pairing of the two lists of readings that is equal. */
export function verifyAnswers(gold: readonly Extracted[], pred: readonly Extracted[], opts: Partial<CompareOptions> = {}): CompareResult {
  const o: CompareOptions = { ...DEFAULT_COMPARE, ...opts };
  let timedOut = false;
  for (const g of gold) {
    for (const p of pred) {
      if (typeof g === 'string' || typeof p === 'string') {
        if (typeof g === 'string' && typeof p === 'string' && g.trim() !== '' && g.trim() === p.trim()) return { equal: true, timedOut };
        continue;
      }
      try {
        if (new Comparer(o).equal(g, p)) return { equal: true, timedOut };
      } catch (e) {
        if (e instanceof CompareTimeout) timedOut = true;
        else if (!(e instanceof RangeError)) throw e;
      }
    }
  }
  return { equal: false, timedOut };
}
