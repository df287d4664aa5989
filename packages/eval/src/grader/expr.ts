/** The expression tree the symbolic grader parses answers into. */
export type Expr =
  | { k: 'num'; v: number; text: string }
  | { k: 'sym'; name: string }
  | { k: 'const'; name: 'pi' | 'E' | 'I' | 'oo' }
  | { k: 'add'; args: Expr[] }
  | { k: 'mul'; args: Expr[] }
  | { k: 'div'; num: Expr; den: Expr }
  | { k: 'neg'; arg: Expr }
  | { k: 'pow'; base: Expr; exp: Expr }
  | { k: 'fn'; name: string; args: Expr[] }
  | { k: 'rel'; op: string; lhs: Expr; rhs: Expr }
  /** \sum or \prod of body over the integer variable v from lo to hi. */
  | { k: 'bigop'; op: 'sum' | 'prod'; v: string; lo: Expr; hi: Expr; body: Expr }
  | { k: 'tuple'; items: Expr[] }
  /** A Python set literal, as parse_expr returns it: compared by its elements, in any order. */
  | { k: 'set'; items: Expr[] }
  /** sympy's true/false: a relation that evaluated when parsed (Eq(2, 2), Eq(Eq(z, 2), 2)). */
  | { k: 'bool'; v: boolean }
  | { k: 'matrix'; rows: Expr[][] }
  // The kinds below are built only by the strict (Math-Verify) reading of LaTeX; the harness's
  // parsers never produce them, so its verdicts cannot change through them.
  /** An interval with its ends open or closed: [0,9) is not (0,9). */
  | { k: 'interval'; lo: Expr; hi: Expr; loOpen: boolean; hiOpen: boolean }
  /** Set algebra over intervals and finite sets (\cup, \cap, \setminus). */
  | { k: 'setop'; op: 'union' | 'intersect' | 'minus'; args: Expr[] }
  /** The named number sets (\mathbb{R}, ...). */
  | { k: 'numset'; name: 'N' | 'Z' | 'Q' | 'R' | 'C' | 'P' }
  /** A chain of relations (1 < x < 2, x = 5+5+1 = 11), in the order written. */
  | { k: 'and'; args: Expr[] }
  /** x% : the value of x divided by 100, kept apart so a percentage can be compared as one. */
  | { k: 'pct'; arg: Expr };

/** A canonical text for structural equality (sympy's `str(a) == str(b)` step). */
export function exprKey(e: Expr): string {
  switch (e.k) {
    case 'num':
      return String(e.v);
    case 'sym':
      return e.name;
    case 'const':
      return e.name;
    case 'add':
      return `(+ ${e.args.map(exprKey).sort().join(' ')})`;
    case 'mul':
      return `(* ${e.args.map(exprKey).sort().join(' ')})`;
    case 'div':
      return `(/ ${exprKey(e.num)} ${exprKey(e.den)})`;
    case 'neg':
      return `(- ${exprKey(e.arg)})`;
    case 'pow':
      return `(^ ${exprKey(e.base)} ${exprKey(e.exp)})`;
    case 'fn':
      return `(${e.name} ${e.args.map(exprKey).join(' ')})`;
    case 'rel':
      return `(${e.op} ${exprKey(e.lhs)} ${exprKey(e.rhs)})`;
    case 'bigop':
      // the bound variable's name does not matter: \sum_{i=1}^n i is \sum_{k=1}^n k
      return `(${e.op} ${exprKey(e.lo)} ${exprKey(e.hi)} ${exprKey(renameSymbol(e.body, e.v, '#'))})`;
    case 'tuple':
      return `(tuple ${e.items.map(exprKey).join(' ')})`;
    case 'set':
      return `(set ${[...new Set(e.items.map(exprKey))].sort().join(' ')})`;
    case 'bool':
      return e.v ? 'True' : 'False';
    case 'matrix':
      return `(matrix ${e.rows.map((r) => `[${r.map(exprKey).join(' ')}]`).join(' ')})`;
    case 'interval':
      return `(interval ${e.loOpen ? '(' : '['} ${exprKey(e.lo)} ${exprKey(e.hi)} ${e.hiOpen ? ')' : ']'})`;
    case 'setop':
      return `(${e.op} ${e.args.map(exprKey).join(' ')})`;
    case 'numset':
      return `(numset ${e.name})`;
    case 'and':
      return `(and ${e.args.map(exprKey).join(' ')})`;
    case 'pct':
      return `(pct ${exprKey(e.arg)})`;
  }
}

export function freeSymbols(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.k) {
    case 'sym':
      out.add(e.name);
      break;
    case 'add':
    case 'mul':
      e.args.forEach((a) => freeSymbols(a, out));
      break;
    case 'fn':
      e.args.forEach((a) => freeSymbols(a, out));
      break;
    case 'div':
      freeSymbols(e.num, out);
      freeSymbols(e.den, out);
      break;
    case 'neg':
      freeSymbols(e.arg, out);
      break;
    case 'pow':
      freeSymbols(e.base, out);
      freeSymbols(e.exp, out);
      break;
    case 'rel':
      freeSymbols(e.lhs, out);
      freeSymbols(e.rhs, out);
      break;
    case 'bigop': {
      freeSymbols(e.lo, out);
      freeSymbols(e.hi, out);
      const inner = freeSymbols(e.body);
      inner.delete(e.v);
      inner.forEach((n) => out.add(n));
      break;
    }
    case 'tuple':
    case 'set':
      e.items.forEach((a) => freeSymbols(a, out));
      break;
    case 'matrix':
      e.rows.forEach((r) => r.forEach((a) => freeSymbols(a, out)));
      break;
    case 'interval':
      freeSymbols(e.lo, out);
      freeSymbols(e.hi, out);
      break;
    case 'setop':
    case 'and':
      e.args.forEach((a) => freeSymbols(a, out));
      break;
    case 'pct':
      freeSymbols(e.arg, out);
      break;
    default:
      break;
  }
  return out;
}

/** e with every free occurrence of the symbol `from` renamed `to`. */
export function renameSymbol(e: Expr, from: string, to: string): Expr {
  const r = (x: Expr): Expr => renameSymbol(x, from, to);
  switch (e.k) {
    case 'sym':
      return e.name === from ? { k: 'sym', name: to } : e;
    case 'add':
    case 'mul':
      return { k: e.k, args: e.args.map(r) };
    case 'fn':
      return { ...e, args: e.args.map(r) };
    case 'div':
      return { k: 'div', num: r(e.num), den: r(e.den) };
    case 'neg':
      return { k: 'neg', arg: r(e.arg) };
    case 'pow':
      return { k: 'pow', base: r(e.base), exp: r(e.exp) };
    case 'rel':
      return { ...e, lhs: r(e.lhs), rhs: r(e.rhs) };
    case 'bigop':
      return { ...e, lo: r(e.lo), hi: r(e.hi), body: e.v === from ? e.body : r(e.body) };
    case 'tuple':
    case 'set':
      return { k: e.k, items: e.items.map(r) };
    case 'matrix':
      return { k: 'matrix', rows: e.rows.map((row) => row.map(r)) };
    case 'interval':
      return { ...e, lo: r(e.lo), hi: r(e.hi) };
    case 'setop':
      return { ...e, args: e.args.map(r) };
    case 'and':
      return { k: 'and', args: e.args.map(r) };
    case 'pct':
      return { k: 'pct', arg: r(e.arg) };
    default:
      return e;
  }
}
