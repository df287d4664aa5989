/**
 * A stand-in for sympy's `parse_expr` (standard transformations): Python expression syntax,
 * multi-letter names, `**`, function calls, top-level tuples, set displays. No implicit multiplication, as in
 * sympy's defaults. Only reached when the LaTeX reading fails, as in the harness.
 */
import type { Expr } from './expr.ts';

type Tok = { t: 'num' | 'name' | 'op'; v: string };

function tokenize(s: string): Tok[] | null {
  const out: Tok[] = [];
  const re = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z_0-9]*)|(\*\*|[-+*/(),%{}]))/y;
  let i = 0;
  while (i < s.length) {
    if (/^\s*$/.test(s.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return null;
    i = re.lastIndex;
    if (m[1] !== undefined) out.push({ t: 'num', v: m[1] });
    else if (m[2] !== undefined) out.push({ t: 'name', v: m[2] });
    else out.push({ t: 'op', v: m[3]! });
  }
  return out;
}

const CONSTS: Record<string, Expr> = {
  pi: { k: 'const', name: 'pi' },
  E: { k: 'const', name: 'E' },
  I: { k: 'const', name: 'I' },
  oo: { k: 'const', name: 'oo' },
};
const FUNCS = new Set([
  'sqrt',
  'sin',
  'cos',
  'tan',
  'cot',
  'sec',
  'csc',
  'asin',
  'acos',
  'atan',
  'log',
  'ln',
  'exp',
  'Abs',
  'abs',
  'factorial',
  'binomial',
  'floor',
  'ceiling',
]);

/** Thrown to abandon a parse; not an Error, so throwing it captures no stack (parsing backtracks a lot). */
class Fail {
  constructor(readonly reason: string) {}
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}
  private is(v: string): boolean {
    const t = this.toks[this.i];
    return t !== undefined && t.t === 'op' && t.v === v;
  }
  private expect(v: string): void {
    if (!this.is(v)) throw new Fail(v);
    this.i++;
  }
  top(): Expr {
    const first = this.sum();
    if (!this.is(',')) {
      if (this.i !== this.toks.length) throw new Fail('trailing');
      return first;
    }
    const items = [first];
    while (this.is(',')) {
      this.i++;
      if (this.i === this.toks.length) break;
      items.push(this.sum());
    }
    if (this.i !== this.toks.length) throw new Fail('trailing');
    return { k: 'tuple', items };
  }
  sum(): Expr {
    const args: Expr[] = [this.product()];
    for (;;) {
      if (this.is('+')) {
        this.i++;
        args.push(this.product());
      } else if (this.is('-')) {
        this.i++;
        args.push({ k: 'neg', arg: this.product() });
      } else break;
    }
    return args.length === 1 ? args[0]! : { k: 'add', args };
  }
  product(): Expr {
    let acc = this.unary();
    for (;;) {
      if (this.is('*')) {
        this.i++;
        acc = { k: 'mul', args: [acc, this.unary()] };
      } else if (this.is('/')) {
        this.i++;
        acc = { k: 'div', num: acc, den: this.unary() };
      } else if (this.is('%')) {
        this.i++;
        acc = { k: 'fn', name: 'mod', args: [acc, this.unary()] };
      } else break;
    }
    return acc;
  }
  unary(): Expr {
    if (this.is('-')) {
      this.i++;
      return { k: 'neg', arg: this.unary() };
    }
    if (this.is('+')) {
      this.i++;
      return this.unary();
    }
    return this.power();
  }
  power(): Expr {
    const base = this.atom();
    if (this.is('**')) {
      this.i++;
      return { k: 'pow', base, exp: this.unary() };
    }
    return base;
  }
  atom(): Expr {
    const t = this.toks[this.i];
    if (!t) throw new Fail('eof');
    this.i++;
    if (t.t === 'num') return { k: 'num', v: Number(t.v), text: t.v };
    if (t.t === 'name') {
      if (this.is('(')) {
        if (!FUNCS.has(t.v)) throw new Fail(`call ${t.v}`);
        this.i++;
        const args = [this.sum()];
        while (this.is(',')) {
          this.i++;
          args.push(this.sum());
        }
        this.expect(')');
        const name = t.v === 'ln' ? 'log' : t.v === 'Abs' ? 'abs' : t.v === 'ceiling' ? 'ceil' : t.v;
        return { k: 'fn', name, args };
      }
      return CONSTS[t.v] ?? { k: 'sym', name: t.v };
    }
    if (t.v === '{') {
      // A set display; `{}` would be a dict, which no grading step can compare.
      const items = [this.sum()];
      while (this.is(',')) {
        this.i++;
        if (this.is('}')) break;
        items.push(this.sum());
      }
      this.expect('}');
      return { k: 'set', items };
    }
    if (t.v === '(') {
      const e = this.sum();
      if (this.is(',')) {
        const items = [e];
        while (this.is(',')) {
          this.i++;
          if (this.is(')')) break;
          items.push(this.sum());
        }
        this.expect(')');
        return { k: 'tuple', items };
      }
      this.expect(')');
      return e;
    }
    throw new Fail(`unexpected ${t.v}`);
  }
}

/** sympy parse_expr stand-in; null where it would raise. */
export function parsePython(s: string): Expr | null {
  const toks = tokenize(s);
  if (!toks || toks.length === 0) return null;
  try {
    return new Parser(toks).top();
  } catch (e) {
    if (e instanceof Fail || e instanceof RangeError) return null;
    throw e;
  }
}
