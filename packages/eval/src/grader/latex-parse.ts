/**
 * A small LaTeX math parser standing in for sympy's `parse_latex`: numbers (with "1,000"
 * grouping, as sympy's lexer reads them), single-letter symbols (optionally subscripted),
 * implicit multiplication, \frac, \sqrt[n], powers, factorial, |x|, the usual functions,
 * relations and pmatrix. What it does not understand it rejects (returns null), as sympy raises.
 */
import { complexClose, evaluate, realPart } from './evaluate.ts';
import { exprKey, freeSymbols, type Expr } from './expr.ts';

export type Tok =
  /** dotted: followed by a '.' that no digit follows; pct: written with a percent sign (strict mode) */
  | { t: 'num'; v: string; dotted?: boolean; pct?: boolean }
  /** A whole symbol name lexed as one token (strict mode: \text{...}, Greek letters). */
  | { t: 'name'; v: string }
  | { t: 'letter'; v: string }
  | { t: 'cmd'; v: string }
  | { t: 'op'; v: string }
  /** Where sympy's lexer would raise; the parse fails only if it gets that far. */
  | { t: 'err'; v: string };

/** Commands sympy's lexer skips. */
const SKIP_CMDS = new Set([
  '\\,',
  '\\:',
  '\\;',
  '\\!',
  '\\quad',
  '\\qquad',
  '\\thinspace',
  '\\medspace',
  '\\thickspace',
  '\\negthinspace',
  '\\negmedspace',
  '\\negthickspace',
  '\\left',
  '\\right',
  '\\vrule',
  '\\vcenter',
  '\\vbox',
  '\\vskip',
  '\\vspace',
  '\\hfil',
  '\\*',
  '\\-',
  '\\.',
  '\\/',
  '\\"',
  '\\(',
  '\\=',
]);

/**
 * sympy: parse_latex, as the harness calls it. latex2sympy: the harness's latex2sympy2 fallback.
 * strict: latex2sympy2_extended as Math-Verify calls it (tokens from strict/latex-lexer.ts, the set
 * layer in strict/latex-sets.ts; the expression grammar here is shared).
 */
export type LatexMode = 'sympy' | 'latex2sympy' | 'strict';

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Past whitespace and the spacing commands sympy's lexer discards (\, \! \quad ...). */
function skipHidden(s: string, i: number): number {
  for (;;) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\\') {
      const m = /^\\(?:[a-zA-Z]+|[^a-zA-Z])/.exec(s.slice(i, i + 24));
      if (m && SKIP_CMDS.has(m[0]) && !s.slice(i).startsWith('\\left|') && !s.slice(i).startsWith('\\right|')) {
        i += m[0].length;
        continue;
      }
    }
    return i;
  }
}

/**
 * sympy's number rule, DIGIT+ (',' DIGIT DIGIT DIGIT)* ('.' DIGIT+)?, over single-digit tokens
 * with the discarded ones skipped between them: "10\,000" and "1 , 000" are 10000 and 1000 there.
 */
function scanSympyNumber(s: string, start: number): { text: string; end: number } {
  let text = '';
  let i = start;
  const digits = (): void => {
    for (;;) {
      text += s[i];
      i++;
      const k = skipHidden(s, i);
      if (!isDigit(s[k])) return;
      i = k;
    }
  };
  digits();
  for (;;) {
    let k = skipHidden(s, i);
    if (s[k] !== ',') break;
    let group = '';
    for (let d = 0; d < 3; d++) {
      k = skipHidden(s, k + (d === 0 ? 1 : 0));
      if (!isDigit(s[k])) break;
      group += s[k];
      k++;
    }
    if (group.length !== 3) break;
    text += `,${group}`;
    i = k;
  }
  const dot = skipHidden(s, i);
  if (s[dot] === '.') {
    const k = skipHidden(s, dot + 1);
    if (isDigit(s[k])) {
      text += '.';
      i = k;
      digits();
    }
  }
  return { text, end: i };
}

function tokenize(s: string, mode: LatexMode): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const err = (): Tok[] => {
    out.push({ t: 'err', v: s.slice(i) });
    return out;
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\\') {
      const rest = s.slice(i);
      if (rest.startsWith('\\left|') || rest.startsWith('\\right|')) {
        out.push({ t: 'op', v: '|' });
        i += rest.startsWith('\\left|') ? 6 : 7;
        continue;
      }
      const m = /^\\([a-zA-Z]+|[,:;!*\-./"(={}]|\\)/.exec(rest);
      if (!m) {
        if (mode === 'latex2sympy' && /^\\[ %$&]/.test(rest)) {
          i += 2;
          continue;
        }
        return err();
      }
      const cmd = m[0];
      if (cmd === '\\\\' && mode === 'sympy') return err();
      i += cmd.length;
      if (SKIP_CMDS.has(cmd) || (mode === 'latex2sympy' && cmd === '\\displaystyle')) continue;
      out.push({ t: 'cmd', v: cmd });
      continue;
    }
    if (mode === 'sympy' && isDigit(c)) {
      const n = scanSympyNumber(s, i);
      i = n.end;
      // A '.' after digits with no digit after it trips sympy's number rule (see dottedNumber).
      const dot = skipHidden(s, i);
      if (s[dot] === '.') {
        out.push({ t: 'num', v: n.text, dotted: true }, { t: 'op', v: '.' });
        i = dot + 1;
      } else out.push({ t: 'num', v: n.text });
      continue;
    }
    const num = /^[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?/.exec(s.slice(i));
    if (num) {
      out.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    if (/[a-zA-Z]/.test(c)) {
      // sympy's lexer reads "dx" (and "d\alpha") as one differential token
      const diff = c === 'd' ? /^d[ \t\r\n]*?([a-zA-Z]|\\[a-zA-Z]+)/.exec(s.slice(i)) : null;
      if (diff && mode === 'sympy') {
        out.push({ t: 'letter', v: `d${diff[1]!.replace('\\', '')}` });
        i += diff[0].length;
        continue;
      }
      out.push({ t: 'letter', v: c });
      i++;
      continue;
    }
    if (c === '&') {
      // '&' lexes only as part of an alignment '&=' / '=&' (or inside a matrix for latex2sympy)
      const m = /^&[ \t\r\n]*?=/.exec(s.slice(i));
      if (m) {
        out.push({ t: 'op', v: '=' });
        i += m[0].length;
        continue;
      }
      if (mode === 'latex2sympy') {
        out.push({ t: 'op', v: '&' });
        i++;
        continue;
      }
      return err();
    }
    if (c === '=') {
      const m = /^=(?:[ \t\r\n]*?&)?/.exec(s.slice(i))!;
      out.push({ t: 'op', v: '=' });
      i += m[0].length;
      continue;
    }
    if ('+-*/^_<>()[]{}|!,.:'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    if (c === "'") {
      const m = /^'+/.exec(s.slice(i))!;
      out.push({ t: 'op', v: m[0] });
      i += m[0].length;
      continue;
    }
    return err();
  }
  return out;
}

const FUNCS: Record<string, string> = {
  '\\sin': 'sin',
  '\\cos': 'cos',
  '\\tan': 'tan',
  '\\cot': 'cot',
  '\\sec': 'sec',
  '\\csc': 'csc',
  '\\arcsin': 'asin',
  '\\arccos': 'acos',
  '\\arctan': 'atan',
  '\\arccsc': 'acsc',
  '\\arcsec': 'asec',
  '\\arccot': 'acot',
  '\\sinh': 'sinh',
  '\\cosh': 'cosh',
  '\\tanh': 'tanh',
  '\\arsinh': 'asinh',
  '\\arcosh': 'acosh',
  '\\artanh': 'atanh',
  '\\ln': 'log',
  '\\log': 'log',
  '\\lg': 'log10',
  '\\exp': 'exp',
};
const RELS: Record<string, string> = {
  '=': '=',
  '<': '<',
  '>': '>',
  '\\le': '<=',
  '\\leq': '<=',
  '\\leqq': '<=',
  '\\leqslant': '<=',
  '\\ge': '>=',
  '\\geq': '>=',
  '\\geqq': '>=',
  '\\geqslant': '>=',
  '\\neq': '!=',
};
/** Commands with a meaning in sympy's grammar; any other \name is a symbol called "name". */
const GRAMMAR_CMDS = new Set([
  ...Object.keys(FUNCS),
  ...Object.keys(RELS),
  '\\frac',
  '\\dfrac',
  '\\tfrac',
  '\\binom',
  '\\dbinom',
  '\\tbinom',
  '\\sqrt',
  '\\overline',
  '\\times',
  '\\cdot',
  '\\div',
  '\\lfloor',
  '\\rfloor',
  '\\lceil',
  '\\rceil',
  '\\{',
  '\\}',
  '\\langle',
  '\\rangle',
  '\\lim',
  '\\int',
  '\\sum',
  '\\prod',
  '\\mathit',
  '\\to',
  '\\rightarrow',
  '\\Rightarrow',
  '\\longrightarrow',
  '\\Longrightarrow',
  '\\\\',
]);

/** Thrown to abandon a parse; not an Error, so throwing it captures no stack (parsing backtracks a lot). */
export class Fail {
  constructor(readonly reason: string) {}
}
/** A lexer error reached while parsing or looking ahead: sympy raises, no backtracking. */
export class LexFail {
  constructor(readonly reason: string) {}
}
/**
 * A construct sympy's grammar reads but this parser does not (integrals, limits, bra-kets). Stopping there would grade a prefix (x - \sum_k k read as x), so the whole parse
 * fails instead, with no backtracking.
 */
export class Unsupported {
  constructor(readonly reason: string) {}
}
/** sympy raised while building the expression (an inequality between non-reals): no parse. */
export class Raises {
  constructor(readonly reason: string) {}
}
const UNSUPPORTED_CMDS = new Set(['\\int', '\\lim', '\\langle']);

export class Parser {
  protected i = 0;
  /** Position of the factor being parsed in an implicit product (0: the first). */
  private factorIndex = 0;
  constructor(
    protected readonly toks: Tok[],
    protected readonly mode: LatexMode,
  ) {}

  protected peek(): Tok | undefined {
    const t = this.toks[this.i];
    if (t?.t === 'err') throw new LexFail(t.v);
    return t;
  }

  /**
   * ANTLR's prediction enters an optional continuation (another term, factor, exponent) only when
   * it can be parsed; otherwise the expression ends there and sympy ignores the rest. Parse it
   * speculatively and rewind on failure. Both parsers ignore what follows a complete expression
   * when it cannot continue it ("a+b)" is a+b).
   */
  protected attempt<T>(fn: () => T): T | null {
    // latex2sympy2's parser does not back off: an operator whose operand fails is an error there
    if (this.mode !== 'sympy') return fn();
    const save = this.i;
    try {
      return fn();
    } catch (e) {
      if (e instanceof Fail) {
        this.i = save;
        return null;
      }
      throw e;
    }
  }
  protected isOp(v: string): boolean {
    const t = this.peek();
    return t !== undefined && (t.t === 'op' || t.t === 'cmd') && t.v === v;
  }
  protected expect(v: string): void {
    if (!this.isOp(v)) throw new Fail(`expected ${v}`);
    this.i++;
  }
  protected isSymbolCmd(t: Tok | undefined): boolean {
    if (this.mode === 'latex2sympy' && t?.t === 'cmd' && (t.v === '\\begin' || t.v === '\\end')) return false;
    return t !== undefined && t.t === 'cmd' && !GRAMMAR_CMDS.has(t.v) && /^\\[a-zA-Z]+$/.test(t.v);
  }

  /**
   * sympy's start rule has no EOF: it parses the longest expression at the front and ignores the
   * rest, failing only on a syntax error inside it or a lexer error in the token right after it.
   */
  parseAll(): Expr {
    const e = this.relation();
    this.peek();
    return e;
  }

  relation(): Expr {
    let lhs = this.additive();
    for (;;) {
      const t = this.peek();
      if (!t || (t.t !== 'op' && t.t !== 'cmd') || !(t.v in RELS)) return lhs;
      this.i++;
      // Unlike a term or a factor, a relation does not back off: "x<" and "x = (1,2)" raise in
      // parse_latex, where "x+" and "x+(1,2)" read as x.
      const rhs = this.attempt(() => this.additive());
      if (!rhs) throw new Raises('relation without a right side');
      lhs = this.mode === 'sympy' ? sympyRelation(RELS[t.v]!, lhs, rhs) : { k: 'rel', op: RELS[t.v]!, lhs, rhs };
    }
  }

  additive(): Expr {
    const args: Expr[] = [this.multiplicative()];
    for (;;) {
      const plus = this.isOp('+');
      if (!plus && !this.isOp('-')) break;
      const save = this.i;
      this.i++;
      const term = this.attempt(() => this.multiplicative());
      if (!term) {
        this.i = save;
        break;
      }
      args.push(plus ? term : { k: 'neg', arg: term });
    }
    return args.length === 1 ? args[0]! : { k: 'add', args };
  }

  multiplicative(): Expr {
    let acc = this.unary();
    for (;;) {
      const times = this.isOp('*') || this.isOp('\\cdot') || this.isOp('\\times');
      const over = !times && (this.isOp('/') || this.isOp('\\div') || this.isOp(':'));
      if (!times && !over) break;
      const save = this.i;
      this.i++;
      const rhs = this.attempt(() => this.unary());
      if (!rhs) {
        this.i = save;
        break;
      }
      acc = times ? { k: 'mul', args: [acc, rhs] } : { k: 'div', num: acc, den: rhs };
    }
    return acc;
  }

  unary(): Expr {
    if (this.isOp('-')) {
      this.i++;
      return { k: 'neg', arg: this.unary() };
    }
    if (this.isOp('+')) {
      this.i++;
      return this.unary();
    }
    const outer = this.factorIndex;
    this.factorIndex = 0;
    const factors: Expr[] = [this.postfix()];
    while (this.startsAtom()) {
      this.factorIndex = factors.length;
      const f = this.attempt(() => this.postfix());
      this.factorIndex = 0;
      if (!f) break;
      factors.push(f);
    }
    this.factorIndex = outer;
    if (factors.length === 1) return factors[0]!;
    // sympy: a lone 'x' between two symbol-free factors is a times sign ("2x3")
    const kept = factors.filter((f, i) => {
      if (i === 0 || i === factors.length - 1 || f.k !== 'sym' || f.name !== 'x') return true;
      return !(symbolFree(factors[i - 1]!) && symbolFree(factors[i + 1]!));
    });
    return kept.length === 1 ? kept[0]! : { k: 'mul', args: kept };
  }

  protected startsAtom(): boolean {
    const t = this.peek();
    if (!t) return false;
    if (t.t === 'num' || t.t === 'letter') return true;
    if (t.t === 'op') return t.v === '(' || t.v === '[' || t.v === '{' || t.v === '|';
    if (t.t === 'cmd') {
      return (
        t.v in FUNCS ||
        UNSUPPORTED_CMDS.has(t.v) ||
        [
          '\\sum',
          '\\prod',
          '\\frac',
          '\\dfrac',
          '\\tfrac',
          '\\sqrt',
          '\\binom',
          '\\dbinom',
          '\\tbinom',
          '\\lfloor',
          '\\lceil',
          '\\{',
          '\\overline',
          '\\mathit',
        ].includes(t.v) ||
        this.isSymbolCmd(t)
      );
    }
    return false;
  }

  postfix(): Expr {
    let e = this.atom();
    for (;;) {
      if (this.isOp('!')) {
        this.i++;
        e = { k: 'fn', name: 'factorial', args: [e] };
      } else if (this.isOp('^')) {
        const save = this.i;
        this.i++;
        const exp = this.attempt(() => this.supArg());
        if (!exp) {
          this.i = save;
          break;
        }
        e = { k: 'pow', base: e, exp };
      } else break;
    }
    return e;
  }

  /** sympy: '^' takes an atom or a braced expression (latex2sympy is laxer). */
  protected supArg(): Expr {
    if (this.isOp('{')) return this.group();
    const t = this.peek();
    if (!t) throw new Fail('eof');
    if (
      t.t === 'num' ||
      t.t === 'letter' ||
      this.isSymbolCmd(t) ||
      this.isOp('\\frac') ||
      this.isOp('\\dfrac') ||
      this.isOp('\\tfrac') ||
      this.isOp('\\binom')
    ) {
      return this.simpleAtom();
    }
    if (this.mode === 'latex2sympy') {
      if (this.isOp('-')) {
        this.i++;
        return { k: 'neg', arg: this.supArg() };
      }
      if (this.isOp('(')) return this.atom();
    }
    throw new Fail('bad exponent');
  }

  protected group(): Expr {
    this.expect('{');
    const e = this.additive();
    this.expect('}');
    return e;
  }

  /** A \frac argument: a braced group or a single digit. */
  protected fracArg(): Expr {
    if (this.isOp('{')) return this.group();
    const t = this.peek();
    if (t && t.t === 'num') {
      // "\frac12": one digit is the numerator, the rest stays for the denominator
      this.i++;
      const digit = t.v[0]!;
      const rest = t.v.slice(1);
      if (rest !== '') this.toks.splice(this.i, 0, { t: 'num', v: rest.startsWith(',') || rest.startsWith('.') ? rest.slice(1) : rest });
      return num(digit);
    }
    if (this.mode === 'latex2sympy' && t && t.t === 'letter') {
      this.i++;
      return { k: 'sym', name: t.v };
    }
    throw new Fail('bad argument');
  }

  protected subscript(): string {
    if (this.isOp('{')) return exprKey(this.group());
    return exprKey(this.simpleAtom());
  }

  /** atom: symbols (with subscript), numbers, \frac, \binom, \mathit. */
  protected simpleAtom(): Expr {
    const t = this.peek();
    if (!t) throw new Fail('eof');
    if (t.t === 'num') {
      this.i++;
      return t.dotted ? this.dottedNumber(t.v) : num(t.v);
    }
    if (t.t === 'letter' || this.isSymbolCmd(t)) {
      this.i++;
      if (t.t === 'cmd' && t.v === '\\infty') return { k: 'const', name: 'oo' };
      if (t.t === 'cmd' && t.v === '\\pi' && this.mode === 'latex2sympy') return { k: 'const', name: 'pi' };
      let name = t.t === 'cmd' ? t.v.slice(1) : t.v;
      if (this.isOp('_')) {
        this.i++;
        name = `${name}_{${this.subscript()}}`;
      }
      const q = this.peek();
      if (q && q.t === 'op' && q.v.startsWith("'")) {
        this.i++;
        name += q.v;
      }
      return { k: 'sym', name };
    }
    if (t.t === 'cmd') {
      switch (t.v) {
        case '\\frac':
        case '\\dfrac':
        case '\\tfrac': {
          this.i++;
          const n = this.fracArg();
          const d = this.fracArg();
          return { k: 'div', num: n, den: d };
        }
        case '\\binom':
        case '\\dbinom':
        case '\\tbinom': {
          this.i++;
          const n = this.group();
          const r = this.group();
          return { k: 'fn', name: 'binomial', args: [n, r] };
        }
        default:
          break;
      }
    }
    throw new Fail(`unexpected ${t.v}`);
  }

  /**
   * What sympy's ANTLR parser makes of digits followed by a stray '.' (observed: "2." and "x+2."
   * raise, "x2." is x, "12." is 1, "1.25." is 1.2, "1.3." is 1.3): a decimal loses its last
   * fraction digit when it has two or more; an integer loses its last digit, fails as an
   * implicit factor, and raises when nothing is left. The parse ends at the '.' either way.
   */
  private dottedNumber(text: string): Expr {
    const dot = text.indexOf('.');
    if (dot >= 0) return num(text.length - dot - 1 >= 2 ? text.slice(0, -1) : text);
    if (this.factorIndex > 0) throw new Fail('dotted implicit factor');
    const prefix = /^[0-9]+(?:,[0-9]{3})*/.exec(text.slice(0, -1))?.[0] ?? '';
    if (prefix === '') throw new LexFail('dotted number');
    return num(prefix);
  }

  atom(): Expr {
    const t = this.peek();
    if (!t) throw new Fail('eof');
    if (t.t === 'err') throw new Fail('lexer error');
    if (t.t === 'op') {
      if (t.v === '(' || t.v === '[' || t.v === '{') {
        this.i++;
        const e = this.additive();
        this.expect(t.v === '(' ? ')' : t.v === '[' ? ']' : '}');
        return e;
      }
      if (t.v === '|') {
        this.i++;
        const e = this.additive();
        this.expect('|');
        return { k: 'fn', name: 'abs', args: [e] };
      }
      throw new Fail(`unexpected ${t.v}`);
    }
    // f(x): a letter or symbol directly followed by '(' is an (undefined) function call in sympy
    if ((t.t === 'letter' || this.isSymbolCmd(t)) && this.mode === 'sympy') {
      const save = this.i;
      const sym = this.simpleAtom();
      if (sym.k === 'sym' && this.isOp('(')) {
        this.i++;
        const args = [this.additive()];
        while (this.isOp(',')) {
          this.i++;
          args.push(this.additive());
        }
        this.expect(')');
        return { k: 'fn', name: `?${sym.name}`, args };
      }
      this.i = save;
    }
    if (this.mode === 'latex2sympy' && t.t === 'cmd' && t.v === '\\begin') {
      this.i++;
      return this.matrix();
    }
    if (t.t === 'num' || t.t === 'letter' || this.isSymbolCmd(t)) return this.simpleAtom();
    switch (t.v) {
      case '\\frac':
      case '\\dfrac':
      case '\\tfrac':
      case '\\binom':
      case '\\dbinom':
      case '\\tbinom':
        return this.simpleAtom();
      case '\\{': {
        this.i++;
        const e = this.additive();
        this.expect('\\}');
        return e;
      }
      case '\\sqrt': {
        this.i++;
        if (this.isOp('[')) {
          this.i++;
          const root = this.additive();
          this.expect(']');
          const x = this.sqrtArg();
          return { k: 'fn', name: 'root', args: [x, root] };
        }
        return { k: 'fn', name: 'sqrt', args: [this.sqrtArg()] };
      }
      case '\\sum':
      case '\\prod':
        this.i++;
        return this.bigOperator(t.v === '\\sum' ? 'sum' : 'prod');
      case '\\overline': {
        this.i++;
        return { k: 'fn', name: 'conjugate', args: [this.group()] };
      }
      case '\\lfloor': {
        this.i++;
        const e = this.additive();
        this.expect('\\rfloor');
        return { k: 'fn', name: 'floor', args: [e] };
      }
      case '\\lceil': {
        this.i++;
        const e = this.additive();
        this.expect('\\rceil');
        return { k: 'fn', name: 'ceil', args: [e] };
      }
      case '\\mathit': {
        this.i++;
        this.expect('{');
        let name = '';
        while (this.peek()?.t === 'letter') name += this.toks[this.i++]!.v;
        this.expect('}');
        return { k: 'sym', name };
      }
      default:
        break;
    }
    const fn = FUNCS[t.v];
    if (fn) {
      this.i++;
      const start = this.i;
      let parsed = this.attempt(() => this.functionTail());
      if (!parsed) {
        // sympy's lexer makes one token per digit, so in \log_28 ANTLR ends the subscript's number
        // where the argument can still be read: base 2, argument 8.
        const sub = this.toks[start + 1];
        if (!this.isOp('_') || sub?.t !== 'num' || !/^[0-9]{2,}$/.test(sub.v)) throw new Fail('bad function argument');
        this.toks.splice(start + 1, 1, { t: 'num', v: sub.v.slice(0, -1) }, { t: 'num', v: sub.v.slice(-1) });
        parsed = this.functionTail();
      }
      const { base, power, arg: a } = parsed;
      const args = fn === 'log' && base ? [a, base] : [a];
      let call: Expr = { k: 'fn', name: fn, args };
      if (power) {
        if (
          power.k === 'neg' &&
          power.arg.k === 'num' &&
          power.arg.v === 1 &&
          ['sin', 'cos', 'tan', 'csc', 'sec', 'cot', 'sinh', 'cosh', 'tanh'].includes(fn)
        ) {
          call = { k: 'fn', name: `a${fn}`, args };
        } else call = { k: 'pow', base: call, exp: power };
      }
      return call;
    }
    if (UNSUPPORTED_CMDS.has(t.v)) throw new Unsupported(t.v);
    throw new Fail(`unknown command ${t.v}`);
  }

  /** sympy: (\sum | \prod) (_{v = lo} ^hi | ^hi _{v = lo}) mp */
  protected bigOperator(op: 'sum' | 'prod'): Expr {
    let v: string | null = null;
    let lo: Expr | null = null;
    let hi: Expr | null = null;
    for (let k = 0; k < 2; k++) {
      if (this.isOp('_') && !lo) {
        this.i++;
        this.expect('{');
        const variable = this.additive();
        this.expect('=');
        lo = this.additive();
        this.expect('}');
        if (variable.k !== 'sym') throw new Raises('summation variable is not a symbol');
        v = variable.name;
      } else if (this.isOp('^') && !hi) {
        this.i++;
        hi = this.supArg();
      }
    }
    if (!v || !lo || !hi) throw new Fail('bounds');
    return { k: 'bigop', op, v, lo, hi, body: this.multiplicative() };
  }

  /** What follows a function name: optional _base and ^power, then the argument. */
  protected functionTail(): { base: Expr | null; power: Expr | null; arg: Expr } {
    let base: Expr | null = null;
    let power: Expr | null = null;
    for (let k = 0; k < 2; k++) {
      if (this.isOp('_') && !base) {
        this.i++;
        base = this.isOp('{') ? this.group() : this.simpleAtom();
      } else if (this.isOp('^') && !power) {
        this.i++;
        power = this.supArg();
      }
    }
    if (this.isOp('(')) {
      this.i++;
      const arg = this.additive();
      this.expect(')');
      return { base, power, arg };
    }
    return { base, power, arg: this.unary() };
  }

  protected sqrtArg(): Expr {
    if (this.isOp('{')) return this.group();
    if (this.mode === 'latex2sympy') return this.simpleAtom();
    throw new Fail('sqrt needs braces');
  }

  protected envName(): string {
    this.expect('{');
    let name = '';
    while (!this.isOp('}')) {
      const t = this.peek();
      if (!t) throw new Fail('eof');
      name += t.v;
      this.i++;
    }
    this.i++;
    return name;
  }

  protected matrix(): Expr {
    const env = this.envName();
    if (env !== 'pmatrix' && env !== 'bmatrix' && env !== 'matrix') throw new Fail(`environment ${env}`);
    const rows: Expr[][] = [[]];
    for (;;) {
      if (this.isOp('\\end')) {
        this.i++;
        this.envName();
        break;
      }
      rows[rows.length - 1]!.push(this.additive());
      if (this.isOp('&')) {
        this.i++;
      } else if (this.isOp('\\\\')) {
        this.i++;
        if (!this.isOp('\\end')) rows.push([]);
      } else if (!this.isOp('\\end')) throw new Fail('bad matrix');
    }
    const width = rows[0]!.length;
    if (rows.some((r) => r.length !== width)) throw new Fail('ragged matrix');
    return { k: 'matrix', rows };
  }
}

const isBoolean = (e: Expr): boolean => e.k === 'bool' || e.k === 'rel';

/**
 * The relation parse_latex builds, evaluated as sympy evaluates Eq, Ne, Lt, ... on creation:
 * constant sides give true or false; Eq between a relation and a non-symbol is false
 * (z=1+1=2 is Eq(Eq(z, 2), 2), which is false); an inequality with a non-real or boolean side
 * raises, so the parse fails.
 */
function sympyRelation(op: string, lhs: Expr, rhs: Expr): Expr {
  const rel: Expr = { k: 'rel', op, lhs, rhs };
  if (op === '=' || op === '!=') {
    const truth = (eq: boolean): Expr => ({ k: 'bool', v: op === '=' ? eq : !eq });
    if (lhs.k === 'bool' && rhs.k === 'bool') return truth(lhs.v === rhs.v);
    if (exprKey(lhs) === exprKey(rhs)) return truth(true);
    if (isBoolean(lhs) !== isBoolean(rhs)) return lhs.k === 'sym' || rhs.k === 'sym' ? rel : truth(false);
    if (isBoolean(lhs) || !symbolFree(lhs) || !symbolFree(rhs)) return rel;
    const a = evaluate(lhs, new Map());
    const b = evaluate(rhs, new Map());
    // sympy decides Eq of two numbers exactly: only rounding error is forgiven
    return [a.re, a.im, b.re, b.im].every(Number.isFinite) ? truth(complexClose(a, b, 1e-12)) : rel;
  }
  if (isBoolean(lhs) || isBoolean(rhs)) throw new Raises('relation between booleans');
  if (!symbolFree(lhs) || !symbolFree(rhs)) return rel;
  const a = evaluate(lhs, new Map());
  const b = evaluate(rhs, new Map());
  if (![a.re, a.im, b.re, b.im].every(Number.isFinite)) return rel;
  const x = realPart(a);
  const y = realPart(b);
  if (x === null || y === null) throw new Raises('invalid comparison of non-real');
  const v = op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y;
  return { k: 'bool', v };
}

function symbolFree(e: Expr): boolean {
  return freeSymbols(e).size === 0;
}

function num(text: string): Expr {
  return { k: 'num', v: Number(text.split(',').join('')), text };
}

function parseWith(s: string, mode: LatexMode): Expr | null {
  const toks = tokenize(mode === 'sympy' ? s.trim() : s, mode);
  if (toks.length === 0) return null;
  try {
    return new Parser(toks, mode).parseAll();
  } catch (e) {
    if (e instanceof Fail || e instanceof LexFail || e instanceof Unsupported || e instanceof Raises || e instanceof RangeError) return null;
    throw e;
  }
}

/** sympy `parse_latex` stand-in (lenient about trailing text); null where it would raise. */
export function parseLatex(s: string): Expr | null {
  return parseWith(s, 'sympy');
}

/** latex2sympy2 stand-in: the whole string must parse; \pi is the constant; matrices allowed. */
export function parseLatex2Sympy(s: string): Expr | null {
  return parseWith(s, 'latex2sympy');
}
