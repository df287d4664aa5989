/**
 * The strict reading of a normalised LaTeX answer, as latex2sympy2_extended reads it for
 * Math-Verify: the shared expression grammar (grader/latex-parse.ts) under its 'strict' mode, plus
 * the layer above it that the harness's parsers lack: comma and semicolon lists are sets, (a,b) and
 * [a,b) are intervals with their ends kept, longer brackets are tuples, \{...\} is a set, \cup and
 * \cap combine sets, a \pm b is two elements, and relations chain (1 < x < 2 is both relations).
 * The top rule tries, as the grammar's alternatives are ordered: `x = <elements>`, then a list of
 * elements, then set algebra; the first that reads the whole string wins.
 */
import { Fail, LexFail, Parser, Raises, Unsupported, type Tok } from '../grader/latex-parse.ts';
import type { Expr } from '../grader/expr.ts';
import { tokenizeStrict } from './latex-lexer.ts';

/** A conversion error after a successful parse (latex2sympy raises): the whole reading fails. */
class ConvertError {
  constructor(readonly reason: string) {}
}

const REL_OPS: Record<string, string> = { '=': '=', '<': '<', '>': '>', '<=': '<=', '>=': '>=', '!=': '!=', '\\approx': '\\approx', '\\in': '\\in' };
const CLOSERS = new Set([',', ';', ')', ']', '}', '\\}', '\\)']);
/** Functions the grammar names that the shared parser's table does not. */
const MULTI_ARG = new Set(['\\max', '\\min', '\\gcd', '\\lcm']);

const isInt = (e: Expr): e is Extract<Expr, { k: 'num' }> => e.k === 'num' && /^[0-9]+$/.test(e.text);
/** A rational literal as latex2sympy builds one: \frac{int}{int} or int/int. */
export function isRationalLiteral(e: Expr): boolean {
  return e.k === 'div' && isInt(e.num) && isInt(e.den);
}
/** Negation as latex2sympy's as_unary_minus: a number stays a number. */
function negate(e: Expr): Expr {
  if (e.k === 'num') return { k: 'num', v: -e.v, text: `-${e.text}` };
  if (isRationalLiteral(e) && e.k === 'div') return { k: 'div', num: negate(e.num), den: e.den };
  return { k: 'neg', arg: e };
}

/**
 * is_expr_of_only_symbols: what makes `lhs = value` an assignment. Symbols, A/S, and anything
 * built from them alone (AB, |AB|, f(x), x + y); a number anywhere (2x, x^2) makes it an equation.
 */
export function onlySymbols(e: Expr): boolean {
  switch (e.k) {
    case 'sym':
      return true;
    case 'div':
      return onlySymbols(e.num) && onlySymbols(e.den);
    case 'mul':
    case 'add':
      return e.args.every(onlySymbols);
    case 'fn':
      return e.args.length > 0 && e.args.every(onlySymbols);
    case 'tuple':
      return e.items.length > 0 && e.items.every(onlySymbols);
    default:
      return false;
  }
}

class StrictLatexParser extends Parser {
  constructor(toks: Tok[]) {
    super(toks, 'strict');
  }

  // Symbols come as 'name' or 'letter' tokens; an unknown command never reaches the parser.
  protected override isSymbolCmd(): boolean {
    return false;
  }

  private tokText(t: Tok): string {
    return t.t === 'name' ? t.v : t.v;
  }

  private atEnd(): boolean {
    return this.i >= this.toks.length;
  }

  /** The raw text of a subscript (_x or _{...}), as getText() gives it: tokens without spaces. */
  private subscriptText(): string {
    this.expect('_');
    if (this.isOp('{')) {
      this.i++;
      let depth = 1;
      let text = '';
      for (;;) {
        const t = this.peek();
        if (!t) throw new Fail('eof in subscript');
        this.i++;
        if (t.t === 'op' && t.v === '{') depth++;
        if (t.t === 'op' && t.v === '}' && --depth === 0) break;
        text += this.tokText(t);
      }
      return text;
    }
    const t = this.peek();
    if (!t || (t.t !== 'num' && t.t !== 'letter' && t.t !== 'name')) throw new Fail('bad subscript');
    this.i++;
    return this.tokText(t);
  }

  protected override simpleAtom(): Expr {
    const t = this.peek();
    if (!t) throw new Fail('eof');
    if (t.t === 'num') {
      this.i++;
      // parse_number: leading zeros of an integer dropped (004 is 4); a subscript (base 5) ignored
      const text = /^[0-9]+$/.test(t.v) ? t.v.replace(/^0+(?=.)/, '') : t.v;
      const n: Expr = { k: 'num', v: Number(text), text };
      if (this.isOp('_')) this.subscriptText();
      return t.pct ? { k: 'pct', arg: n } : n;
    }
    if (t.t === 'letter' || t.t === 'name') {
      this.i++;
      if (t.t === 'letter' && t.v === 'I') return { k: 'const', name: 'I' };
      if (t.t === 'letter' && t.v === 'e') return { k: 'const', name: 'E' };
      let name = t.v.toLowerCase();
      if (this.isOp('_')) {
        const sub = this.subscriptText().toLowerCase();
        name += sub.length > 1 ? `_{${sub}}` : `_${sub}`;
      }
      return { k: 'sym', name };
    }
    if (t.t === 'cmd' && t.v === '\\infty') {
      this.i++;
      return { k: 'const', name: 'oo' };
    }
    if (t.t === 'cmd' && t.v === '\\partial') {
      this.i++;
      return { k: 'sym', name: 'partial' };
    }
    return super.simpleAtom();
  }

  /** '^' takes an atom or a braced expression; ^\circ is a degree sign (ignored: degrees are not converted). */
  protected override supArg(): Expr {
    if (this.isOp('{')) return this.group();
    const t = this.peek();
    if (t && (t.t === 'num' || t.t === 'letter' || t.t === 'name' || (t.t === 'cmd' && t.v === '\\infty'))) return this.simpleAtom();
    throw new Fail('bad exponent');
  }

  /** A postfix degree (^\circ, ^{\circ}) or transpose (^T, '): no effect on the value here. */
  private skipDegreeOrTranspose(): boolean {
    const save = this.i;
    if (this.isOp("'")) {
      this.i++;
      return true;
    }
    if (!this.isOp('^')) return false;
    this.i++;
    const braced = this.isOp('{');
    if (braced) this.i++;
    const t = this.peek();
    const hit = t !== undefined && ((t.t === 'cmd' && t.v === '\\circ') || (t.t === 'letter' && t.v === 'T'));
    if (hit) {
      this.i++;
      if (!braced || this.isOp('}')) {
        if (braced) this.i++;
        return true;
      }
    }
    this.i = save;
    return false;
  }

  override postfix(): Expr {
    let e = this.atom();
    for (;;) {
      if (this.skipDegreeOrTranspose()) continue;
      if (this.isOp('!')) {
        this.i++;
        e = { k: 'fn', name: 'factorial', args: [e] };
      } else if (this.isOp('^')) {
        this.i++;
        e = { k: 'pow', base: e, exp: this.supArg() };
      } else break;
    }
    return e;
  }

  private startsFactor(): boolean {
    const t = this.peek();
    if (!t) return false;
    if (t.t === 'num' || t.t === 'letter' || t.t === 'name') return true;
    if (t.t === 'op') return t.v === '(' || t.v === '[' || t.v === '{' || t.v === '\\{' || t.v === '|';
    return (
      t.t === 'cmd' &&
      ![
        '\\times',
        '\\cdot',
        '\\div',
        '\\mod',
        '\\pm',
        '\\cup',
        '\\cap',
        '\\setminus',
        '\\in',
        '\\notin',
        '\\subseteq',
        '\\supseteq',
        '\\approx',
        '\\rfloor',
        '\\rceil',
        '\\end',
        '\\to',
        '\\circ',
      ].includes(t.v)
    );
  }

  /** unary: sign, or implicit products (postfix+), with 2\frac{1}{2} a mixed fraction. */
  override unary(): Expr {
    if (this.isOp('-')) {
      this.i++;
      return negate(this.unary());
    }
    if (this.isOp('+')) {
      this.i++;
      return this.unary();
    }
    const factors: Expr[] = [this.postfix()];
    while (this.startsFactor()) {
      const save = this.i;
      try {
        factors.push(this.postfix());
      } catch (e) {
        if (!(e instanceof Fail)) throw e;
        this.i = save;
        break;
      }
    }
    // convert_postfix_list multiplies from the right
    let acc = factors[factors.length - 1]!;
    for (let k = factors.length - 2; k >= 0; k--) {
      const res = factors[k]!;
      if (isInt(res) && acc.k === 'div' && isRationalLiteral(acc) && (acc.num as { v: number }).v > 0) {
        acc = { k: 'add', args: [res, acc] };
      } else acc = acc.k === 'mul' ? { k: 'mul', args: [res, ...acc.args] } : { k: 'mul', args: [res, acc] };
    }
    return acc;
  }

  override multiplicative(): Expr {
    let acc = this.unary();
    for (;;) {
      const times = this.isOp('*') || this.isOp('\\cdot') || this.isOp('\\times');
      const over = !times && (this.isOp('/') || this.isOp('\\div') || this.isOp(':'));
      const mod = this.isOp('\\mod');
      if (!times && !over && !mod) break;
      this.i++;
      const rhs = this.unary();
      acc = times ? { k: 'mul', args: [acc, rhs] } : over ? { k: 'div', num: acc, den: rhs } : { k: 'fn', name: 'mod', args: [acc, rhs] };
    }
    return acc;
  }

  private callArgs(close: string): Expr[] {
    const args = [this.additive()];
    while (this.isOp(',')) {
      this.i++;
      args.push(this.additive());
    }
    this.expect(close);
    return args;
  }

  override atom(): Expr {
    const t = this.peek();
    if (!t) throw new Fail('eof');
    if (t.t === 'op') {
      const close: Record<string, string> = { '(': ')', '[': ']', '{': '}', '\\{': '\\}' };
      if (close[t.v]) {
        this.i++;
        const e = this.additive();
        this.expect(close[t.v]!);
        return e;
      }
      return super.atom();
    }
    if (t.t === 'cmd') {
      switch (t.v) {
        case '\\boxed':
        case '\\phantom': {
          this.i++;
          this.expect('{');
          const e = this.additive();
          this.expect('}');
          return e;
        }
        case '\\begin':
          this.i++;
          return this.matrix();
        case '\\operatorname':
          throw new Fail('operatorname');
        case '\\floor':
        case '\\ceil': {
          this.i++;
          this.expect('(');
          const [a] = this.callArgs(')');
          return { k: 'fn', name: t.v.slice(1), args: [a!] };
        }
        case '\\log': {
          // latex2sympy2_extended: \log without a base is the base-10 logarithm
          const hasBase = this.toks[this.i + 1]?.t === 'op' && this.toks[this.i + 1]!.v === '_';
          const e = super.atom();
          if (hasBase) return e;
          const withBase = (x: Expr): Expr =>
            x.k === 'fn' && x.name === 'log' && x.args.length === 1 ? { ...x, args: [x.args[0]!, { k: 'num', v: 10, text: '10' }] } : x;
          return e.k === 'pow' ? { ...e, base: withBase(e.base) } : withBase(e);
        }
        default:
          if (MULTI_ARG.has(t.v)) {
            this.i++;
            this.expect('(');
            return { k: 'fn', name: t.v.slice(1), args: this.callArgs(')') };
          }
          if (t.v === '\\infty' || t.v === '\\partial') return this.simpleAtom();
          return super.atom();
      }
    }
    if (t.t === 'letter' && t.v !== 'e' && t.v !== 'E' && t.v !== 'I') {
      // f(x): a letter (with subscript, optional power) followed by '(' is an undefined function
      const save = this.i;
      this.i++;
      let name = t.v;
      if (this.isOp('_')) name += `_${this.subscriptText()}`;
      let power: Expr | null = null;
      if (this.isOp('^')) {
        const at = this.i;
        this.i++;
        try {
          power = this.supArg();
        } catch (e) {
          if (!(e instanceof Fail)) throw e;
          this.i = at;
        }
      }
      if (this.isOp('(')) {
        this.i++;
        const call: Expr = { k: 'fn', name: `?${name}`, args: this.callArgs(')') };
        return power ? { k: 'pow', base: call, exp: power } : call;
      }
      this.i = save;
    }
    return this.simpleAtom();
  }

  /** pmatrix, bmatrix, matrix, and array with its column spec; rows end with \\ (a trailing one allowed). */
  protected override matrix(): Expr {
    const env = this.envName();
    if (env === 'array') {
      this.expect('{');
      while (!this.isOp('}')) {
        if (!this.peek()) throw new Fail('eof');
        this.i++;
      }
      this.i++;
    } else if (env !== 'pmatrix' && env !== 'bmatrix' && env !== 'matrix') throw new Fail(`environment ${env}`);
    const rows: Expr[][] = [[this.additive()]];
    for (;;) {
      if (this.isOp('&')) {
        this.i++;
        rows[rows.length - 1]!.push(this.additive());
      } else if (this.isOp('\\\\')) {
        this.i++;
        if (!this.isOp('\\end')) rows.push([this.additive()]);
      } else if (this.isOp('\\end')) {
        this.i++;
        this.envName();
        break;
      } else throw new Fail('bad matrix');
    }
    const width = rows[0]!.length;
    if (rows.some((r) => r.length !== width)) throw new Fail('ragged matrix');
    return { k: 'matrix', rows };
  }

  // ---- the set layer ----

  private relOp(): string | null {
    const t = this.peek();
    if (!t || (t.t !== 'op' && t.t !== 'cmd')) return null;
    return REL_OPS[t.v] ?? null;
  }

  /** relation: expr (op expr)*, chained as latex2sympy chains them (a < b < c is a < b and b < c). */
  private relationChain(): Expr {
    let lhs = this.additive();
    for (;;) {
      const op = this.relOp();
      if (!op) return lhs;
      this.i++;
      const rhs = this.additive();
      if (op === '\\approx') {
        // an approximation keeps the exact side: x \approx 1.3 is 1.3 for a symbol x, else the left side
        lhs = onlySymbols(lhs) ? rhs : lhs;
        continue;
      }
      if (op === '\\in') throw new ConvertError('Unrecognized relation');
      const last = lhs.k === 'and' ? lhs.args[lhs.args.length - 1]! : lhs;
      if (last.k === 'rel') {
        const next: Expr = { k: 'rel', op, lhs: last.rhs, rhs };
        lhs = { k: 'and', args: [...(lhs.k === 'and' ? lhs.args : [lhs]), next] };
      } else lhs = { k: 'rel', op, lhs, rhs };
    }
  }

  /** Tries each alternative in order; the first that parses and is followed by an element end wins. */
  private firstOf<T>(alts: Array<() => T>, ok: () => boolean): T {
    const save = this.i;
    for (const alt of alts) {
      try {
        const r = alt();
        if (ok()) return r;
      } catch (e) {
        if (!(e instanceof Fail || e instanceof LexFail)) throw e;
      }
      this.i = save;
    }
    throw new Fail('no alternative');
  }

  private atElementEnd = (): boolean => {
    const t = this.toks[this.i];
    return t === undefined || ((t.t === 'op' || t.t === 'cmd') && CLOSERS.has(t.v));
  };

  private plusMinus(): Expr[] {
    if (this.isOp('\\pm')) {
      this.i++;
      const e = this.additive();
      return [negate(e), e];
    }
    const a = this.additive();
    this.expect('\\pm');
    const b = this.additive();
    return [
      { k: 'add', args: [a, b] },
      { k: 'add', args: [a, negate(b)] },
    ];
  }

  private element(noRelation: boolean): Expr[] {
    return this.firstOf<Expr[]>(
      [() => this.plusMinus(), () => [this.setAtom()], () => [noRelation ? this.additive() : this.relationChain()]],
      this.atElementEnd,
    );
  }

  /** semicolon_elements: groups separated by ';', each a comma list (a \pm b counts twice). */
  private semicolonElements(noRelation = false): Expr[][] {
    const groups: Expr[][] = [];
    for (;;) {
      const group: Expr[] = [...this.element(noRelation)];
      while (this.isOp(',')) {
        this.i++;
        group.push(...this.element(noRelation));
      }
      groups.push(group);
      if (!this.isOp(';')) return groups;
      this.i++;
    }
  }

  private static setOrTuple(groups: Expr[][]): Expr {
    if (groups.length === 1) return groups[0]!.length === 1 ? groups[0]![0]! : { k: 'set', items: groups[0]! };
    if (groups.every((g) => g.length === 1)) return { k: 'set', items: groups.map((g) => g[0]!) };
    return { k: 'set', items: groups.map((g) => ({ k: 'tuple', items: g })) };
  }

  private interval(): Expr {
    const open = this.peek();
    if (open?.t !== 'op' || !['(', '[', '\\('].includes(open.v)) throw new Fail('not an interval');
    this.i++;
    const lo = this.additive();
    this.expect(',');
    const hi = this.additive();
    const close = this.peek();
    if (close?.t !== 'op' || ![')', ']', '\\)'].includes(close.v)) throw new Fail('not an interval');
    this.i++;
    const loOpen = open.v !== '[';
    const hiOpen = close.v !== ']';
    // an interval that would be empty is a pair: (3,1) is the tuple (3, 1)
    const [a, b] = [numericValue(lo), numericValue(hi)];
    if (a !== null && b !== null && ((loOpen && hiOpen && b <= a) || (!loOpen && !hiOpen && b < a))) return { k: 'tuple', items: [lo, hi] };
    return { k: 'interval', lo, hi, loOpen, hiOpen };
  }

  private setAtom(): Expr {
    const t = this.peek();
    if (!t) throw new Fail('eof');
    return this.firstOf<Expr>(
      [
        () => this.interval(),
        () => {
          // literal sets
          if (t.t === 'cmd' && t.v.startsWith('\\mathbb{')) {
            this.i++;
            return { k: 'numset', name: t.v.slice(8, 9) as 'R' };
          }
          if (this.isOp('\\emptyset')) {
            this.i++;
            return { k: 'set', items: [] };
          }
          if ((this.isOp('{') && this.toks[this.i + 1]?.v === '}') || (this.isOp('\\{') && this.toks[this.i + 1]?.v === '\\}')) {
            this.i += 2;
            return { k: 'set', items: [] };
          }
          throw new Fail('not a literal set');
        },
        () => {
          // ordered tuple: ( ... ), \( ... \), [ ... ]
          const close: Record<string, string> = { '(': ')', '\\(': '\\)', '[': ']' };
          if (t.t !== 'op' || !close[t.v]) throw new Fail('not a tuple');
          this.i++;
          const groups = this.semicolonElements();
          this.expect(close[t.v]!);
          const items = groups.flat();
          return items.length === 1 ? items[0]! : { k: 'tuple', items };
        },
        () => {
          // finite set: { ... }, \{ ... \}, \boxed{ ... }
          const boxed = this.isOp('\\boxed');
          if (boxed) this.i++;
          const close = this.isOp('{') ? '}' : !boxed && this.isOp('\\{') ? '\\}' : null;
          if (!close) throw new Fail('not a set');
          this.i++;
          const groups = this.semicolonElements();
          this.expect(close);
          return boxed ? StrictLatexParser.setOrTuple(groups) : { k: 'set', items: groups.flat() };
        },
      ],
      () => true,
    );
  }

  /** set_group: ( minus_expr ) | set_atom */
  private setGroup(): Expr {
    return this.firstOf<Expr>(
      [
        () => {
          this.expect('(');
          const e = this.setMinus();
          this.expect(')');
          return e;
        },
        () => this.setAtom(),
      ],
      () => true,
    );
  }

  private setBinary(op: 'union' | 'intersect' | 'minus', cmd: string, next: () => Expr): Expr {
    const args = [next()];
    while (this.isOp(cmd)) {
      this.i++;
      args.push(next());
    }
    if (args.length === 1) return args[0]!;
    // a tuple cannot be intersected or joined: it is read as a set there
    return { k: 'setop', op, args: args.map((a) => (a.k === 'tuple' ? { k: 'set', items: a.items } : a)) };
  }

  private setMinus(): Expr {
    return this.setBinary('minus', '\\setminus', () => this.setBinary('union', '\\cup', () => this.setBinary('intersect', '\\cap', () => this.setGroup())));
  }

  /** atom_expr_list: a symbol, or (x, y, ...) of symbols. */
  private atomExprList(): Expr {
    if (this.isOp('(')) {
      this.i++;
      const items = [this.atomExpr()];
      while (this.isOp(',')) {
        this.i++;
        items.push(this.atomExpr());
      }
      this.expect(')');
      return items.length === 1 ? items[0]! : { k: 'tuple', items };
    }
    return this.atomExpr();
  }

  /** atom_expr: a letter other than e/E, a Greek letter or an accent, with sub- and superscripts. */
  private atomExpr(): Expr {
    const t = this.peek();
    if (!t || !((t.t === 'letter' && t.v !== 'e' && t.v !== 'E') || t.t === 'name')) throw new Fail('not a symbol');
    const sym = this.simpleAtom();
    if (this.isOp('^')) {
      this.i++;
      return { k: 'pow', base: sym, exp: this.supArg() };
    }
    return sym;
  }

  private setRelation(): Expr {
    return this.firstOf<Expr>(
      [
        () => {
          const left = this.atomExprList();
          const op = this.peek();
          if (!op || (op.t !== 'op' && op.t !== 'cmd') || !['\\in', '=', '\\notin'].includes(op.v)) throw new Fail('no set relation');
          this.i++;
          const right = this.setRelation();
          if (op.v === '\\notin') throw new ConvertError('notin');
          return { k: 'rel', op: '=', lhs: left, rhs: right };
        },
        () => this.setMinus(),
      ],
      () => this.atEnd() || this.isOp(')'),
    );
  }

  /** math: set_elements_relation | set_elements | set_relation, each to the end of the input. */
  parseMath(): Expr {
    return this.firstOf<Expr>(
      [
        () => {
          const left = this.atomExprList();
          const op = this.peek();
          if (!op || (op.t !== 'op' && op.t !== 'cmd') || !['\\in', '='].includes(op.v)) throw new Fail('no relation');
          this.i++;
          const right = StrictLatexParser.setOrTuple(this.semicolonElements(true));
          return { k: 'rel', op: '=', lhs: left, rhs: right };
        },
        () => StrictLatexParser.setOrTuple(this.semicolonElements()),
        () => this.setRelation(),
      ],
      () => this.atEnd(),
    );
  }
}

/** The value of a symbol-free number literal (for the empty-interval rule); null otherwise. */
function numericValue(e: Expr): number | null {
  if (e.k === 'num') return e.v;
  if (e.k === 'neg') {
    const v = numericValue(e.arg);
    return v === null ? null : -v;
  }
  if (e.k === 'div') {
    const a = numericValue(e.num);
    const b = numericValue(e.den);
    return a === null || b === null || b === 0 ? null : a / b;
  }
  if (e.k === 'const' && e.name === 'oo') return Infinity;
  return null;
}

/** A whole answer that is one thousands-grouped number (3,333) is that number, not a set. */
const GROUPED_NUMBER = /^\s*-?\d{1,3}(,\d{3})+(\.\d+)?\s*$/;

/** latex2sympy's last resort: when a chain of equations cannot be read, read its last side. */
const EQUATION_SPLIT = /(?<!\\|<|!|>)=/;

function readOnce(s: string): Expr | null {
  if (GROUPED_NUMBER.test(s)) {
    // convert_number: a grouped number starting with 0 is a decimal comma (0,111 is 0.111)
    const trimmed = s.trim();
    const text = (trimmed.startsWith('0') ? trimmed.replace(',', '.') : trimmed).replace(/[,\s]/g, '');
    const neg = text.startsWith('-');
    const digits = text
      .replace(/^-/, '')
      .replace(/^0+(?=[\d.])/, '')
      .replace(/^\./, '0.');
    return { k: 'num', v: Number(`${neg ? '-' : ''}${digits}`), text: `${neg ? '-' : ''}${digits}` };
  }
  const toks = tokenizeStrict(s);
  if (toks.length === 0) return null;
  try {
    return new StrictLatexParser(toks).parseMath();
  } catch (e) {
    if (e instanceof Fail || e instanceof LexFail || e instanceof Raises || e instanceof Unsupported || e instanceof ConvertError || e instanceof RangeError)
      return null;
    throw e;
  }
}

/** The strict reading of a normalised LaTeX answer; null where latex2sympy2_extended would raise. */
export function readStrictLatex(s: string): Expr | null {
  const e = readOnce(s);
  if (e) return e;
  if (!s.includes(',') && !s.includes(';')) {
    const parts = s.split(EQUATION_SPLIT);
    if (parts.length > 2) return readOnce(parts[parts.length - 1]!);
  }
  return null;
}
