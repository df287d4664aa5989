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
  | { k: 'tuple'; items: Expr[] }
  | { k: 'matrix'; rows: Expr[][] };

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
    case 'tuple':
      return `(tuple ${e.items.map(exprKey).join(' ')})`;
    case 'matrix':
      return `(matrix ${e.rows.map((r) => `[${r.map(exprKey).join(' ')}]`).join(' ')})`;
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
    case 'tuple':
      e.items.forEach((a) => freeSymbols(a, out));
      break;
    case 'matrix':
      e.rows.forEach((r) => r.forEach((a) => freeSymbols(a, out)));
      break;
    default:
      break;
  }
  return out;
}
