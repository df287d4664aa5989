/**
 * Numeric evaluation of a parsed expression over the complex numbers, with symbols bound to
 * given values. sympy's symbols are complex and its functions take principal branches, so an
 * identity it accepts holds for complex values too: \sqrt{x^2} and x, |x| and x, \ln(xy) and
 * \ln x + \ln y part at a point with a negative real part, as they do in sympy.
 */
import { Complex } from 'complex.js';
import type { Expr } from './expr.ts';

const NAN = new Complex(NaN, NaN);
const IMAG_EPS = 1e-12;

function real(re: number): Complex {
  return new Complex(re, 0);
}

/** |a − b| within `rel` of the larger magnitude (at least 1); values that are not finite are never close. */
export function complexClose(a: Complex, b: Complex, rel: number): boolean {
  if (![a.re, a.im, b.re, b.im].every(Number.isFinite)) return false;
  return Math.hypot(a.re - b.re, a.im - b.im) <= rel * Math.max(1, a.abs(), b.abs());
}

/** A real value, when z is one (up to rounding noise): what float(N(z)) would accept. */
export function realPart(z: Complex): number | null {
  if (Number.isNaN(z.re) || Number.isNaN(z.im)) return null;
  if (z.im !== 0 && Math.abs(z.im) > IMAG_EPS * Math.max(1, Math.abs(z.re))) return null;
  return z.re;
}

/** Non-finite results (x/0, 0^-1, overflow) are sympy's zoo or oo: nothing compares equal to them. */
function finite(z: Complex): Complex {
  return Number.isFinite(z.re) && Number.isFinite(z.im) ? z : NAN;
}

function factorial(n: number): number {
  if (!Number.isInteger(n) || n < 0) return NaN;
  // Past 170! a double overflows, as float(N(...)) of it does in the harness.
  if (n > 170) return Infinity;
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}

function binomial(n: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(k)) return NaN;
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** Integer powers by squaring: exact where sympy's are ((-2)^2 is 4, not 4 - 1e-15i). */
function pow(b: Complex, e: Complex): Complex {
  const n = realPart(e);
  if (n !== null && Number.isInteger(n) && Math.abs(n) <= 2 ** 31) {
    if (b.re === 0 && b.im === 0) return n > 0 ? real(0) : n === 0 ? real(1) : NAN;
    let acc = real(1);
    let base = b;
    for (let k = Math.abs(n); k > 0; k = Math.floor(k / 2)) {
      if (k % 2 === 1) acc = acc.mul(base);
      base = base.mul(base);
    }
    return n < 0 ? real(1).div(acc) : acc;
  }
  if (b.re === 0 && b.im === 0) return NAN;
  return b.pow(e);
}

/** A fixed function of the arguments, so that f(a) and f(b) agree exactly when a and b do. */
function opaque(name: string, args: Complex[]): Complex {
  let h = 7;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) % 1000003;
  return args.reduce(
    (acc, x, i) =>
      acc.add(
        x
          .mul(1.1 + i)
          .add(h)
          .sin(),
      ),
    real(h / 1000003),
  );
}

/** Functions defined on real arguments only (sympy leaves them unevaluated otherwise). */
function realOnly(z: Complex, f: (x: number) => number): Complex {
  const x = realPart(z);
  return x === null ? NAN : real(f(x));
}

function callFn(name: string, a: Complex[]): Complex {
  const x = a[0] ?? NAN;
  switch (name) {
    case 'sqrt':
      return x.sqrt();
    case 'root':
      // sympy's root(x, n) is the principal root: \sqrt[3]{-8} is 1 + \sqrt{3}i, not -2
      return pow(x, real(1).div(a[1] ?? NAN));
    case 'sin':
      return x.sin();
    case 'cos':
      return x.cos();
    case 'tan':
      return x.tan();
    case 'cot':
      return x.cot();
    case 'sec':
      return x.sec();
    case 'csc':
      return x.csc();
    case 'asin':
      return x.asin();
    case 'acos':
      return x.acos();
    case 'atan':
      return x.atan();
    case 'asec':
      return x.asec();
    case 'acsc':
      return x.acsc();
    case 'acot':
      return x.acot();
    case 'sinh':
      return x.sinh();
    case 'cosh':
      return x.cosh();
    case 'tanh':
      return x.tanh();
    case 'asinh':
      return x.asinh();
    case 'acosh':
      return x.acosh();
    case 'atanh':
      return x.atanh();
    case 'log':
      return a.length === 2 ? x.log().div(a[1]!.log()) : x.log();
    case 'log10':
      return x.log().div(Math.LN10);
    case 'exp':
      return x.exp();
    case 'abs':
      return real(x.abs());
    case 'conjugate':
      return x.conjugate();
    case 'floor':
      // sympy: floor(re) + I*floor(im)
      return new Complex(Math.floor(x.re), Math.floor(x.im));
    case 'ceil':
      return new Complex(Math.ceil(x.re), Math.ceil(x.im));
    case 'factorial':
      return realOnly(x, factorial);
    case 'binomial': {
      const k = realPart(a[1] ?? NAN);
      return k === null ? NAN : realOnly(x, (n) => binomial(n, k));
    }
    case 'mod': {
      const m = realPart(a[1] ?? NAN);
      return m === null ? NAN : realOnly(x, (v) => v - m * Math.floor(v / m));
    }
    default:
      // An undefined function f(x) (name starts with '?')
      return name.startsWith('?') ? opaque(name, a) : NAN;
  }
}

const MAX_TERMS = 100_000;

/** A sum or product over integer bounds, term by term; symbolic or huge ranges have no value here. */
function bigOperator(e: Extract<Expr, { k: 'bigop' }>, env: ReadonlyMap<string, Complex>): Complex {
  const lo = realPart(evaluate(e.lo, env));
  const hi = realPart(evaluate(e.hi, env));
  if (lo === null || hi === null || !Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo - 1 || hi - lo >= MAX_TERMS) return NAN;
  const inner = new Map(env);
  let acc = real(e.op === 'sum' ? 0 : 1);
  for (let k = lo; k <= hi; k++) {
    inner.set(e.v, real(k));
    const term = evaluate(e.body, inner);
    acc = e.op === 'sum' ? acc.add(term) : acc.mul(term);
  }
  return finite(acc);
}

export function evaluate(e: Expr, env: ReadonlyMap<string, Complex>): Complex {
  switch (e.k) {
    case 'num':
      return real(e.v);
    case 'sym':
      return env.get(e.name) ?? NAN;
    case 'const':
      return e.name === 'pi' ? real(Math.PI) : e.name === 'E' ? real(Math.E) : e.name === 'I' ? new Complex(0, 1) : NAN;
    case 'add':
      return e.args.reduce((s, a) => s.add(evaluate(a, env)), real(0));
    case 'mul':
      return e.args.reduce((s, a) => s.mul(evaluate(a, env)), real(1));
    case 'div': {
      const d = evaluate(e.den, env);
      return d.re === 0 && d.im === 0 ? NAN : finite(evaluate(e.num, env).div(d));
    }
    case 'neg':
      return evaluate(e.arg, env).neg();
    case 'pow':
      return finite(pow(evaluate(e.base, env), evaluate(e.exp, env)));
    case 'fn':
      return finite(
        callFn(
          e.name,
          e.args.map((x) => evaluate(x, env)),
        ),
      );
    case 'bigop':
      return bigOperator(e, env);
    case 'pct':
      return evaluate(e.arg, env).div(100);
    default:
      return NAN;
  }
}

/** The value of a symbol-free expression as float(N(e)) gives it: null when not a finite real. */
export function realValue(e: Expr): number | null {
  const v = realPart(evaluate(e, new Map()));
  return v !== null && Number.isFinite(v) ? v : null;
}
