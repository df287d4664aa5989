/**
 * Python built-ins that the harness's string logic leans on, with Python's semantics rather than
 * JavaScript's (they differ on whitespace, number syntax and float printing).
 */

/** Characters Python's str.strip() removes by default (Unicode whitespace). */
const PY_WS =
  ' \t\n\r\v\f\u001c\u001d\u001e\u001f\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

function stripSet(s: string, chars: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  if (left) while (a < b && chars.includes(s[a]!)) a++;
  if (right) while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** str.strip([chars]) */
export function pyStrip(s: string, chars: string = PY_WS): string {
  return stripSet(s, chars, true, true);
}
export function pyLstrip(s: string, chars: string = PY_WS): string {
  return stripSet(s, chars, true, false);
}
export function pyRstrip(s: string, chars: string = PY_WS): string {
  return stripSet(s, chars, false, true);
}

/** str.split() with no separator: runs of whitespace, no empty pieces. */
export function pySplitWs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of s) {
    if (PY_WS.includes(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

const FLOAT_RE = /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const SPECIAL_RE = /^[+-]?(?:inf|infinity|nan)$/i;

/** float(s) for a str argument; null where Python raises ValueError. */
export function pyFloat(s: string): number | null {
  const t = pyStrip(s);
  if (FLOAT_RE.test(t)) return Number(t.replace(/_/g, ''));
  if (SPECIAL_RE.test(t)) {
    const neg = t.startsWith('-');
    if (/nan/i.test(t)) return NaN;
    return neg ? -Infinity : Infinity;
  }
  return null;
}

/** int(s) for a str argument (base 10); null where Python raises. */
export function pyInt(s: string): bigint | null {
  const t = pyStrip(s);
  if (!/^[+-]?\d(?:_?\d)*$/.test(t)) return null;
  return BigInt(t.replace(/_/g, ''));
}

/** repr()/str() of a Python float: the same shortest round-trip digits, Python's layout. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, e] = x.toExponential().split('e') as [string, string];
  const decExp = Number(e);
  // Python switches to exponent notation below 1e-4 and from 1e16 on, with two-digit exponents.
  if (decExp < -4 || decExp >= 16) {
    const abs = Math.abs(decExp);
    return `${mant}e${decExp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  const digits = mant.replace('-', '').replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (decExp < 0) return `${sign}0.${'0'.repeat(-decExp - 1)}${digits}`;
  if (digits.length <= decExp + 1) return `${sign}${digits}${'0'.repeat(decExp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, decExp + 1)}.${digits.slice(decExp + 1)}`;
}

/**
 * str() of a JSON value as Python would print the object json.loads made of it. JSON numbers
 * written with a '.' or exponent are floats in Python; `isFloat` says which (JSON.parse loses it).
 */
export function pyStr(v: unknown, isFloat = false): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (isFloat || !Number.isInteger(v)) return pyFloatRepr(v);
    return String(v);
  }
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Python's \w for str patterns: Unicode letters and numbers, and '_'. */
export const PY_WORD = '[\\p{L}\\p{N}_]';
export const PY_NONWORD = '[^\\p{L}\\p{N}_]';

/** str.isalnum() */
export function pyIsAlnum(s: string): boolean {
  return s.length > 0 && /^[\p{L}\p{N}]+$/u.test(s);
}

/** str.isdigit() (ASCII and Unicode decimal digits, superscripts) */
export function pyIsDigit(s: string): boolean {
  return s.length > 0 && /^[\p{Nd}\u00b2\u00b3\u00b9\u2070-\u2079\u2080-\u2089]+$/u.test(s);
}

/** Python's round(x, n) on floats: round-half-even on the exact binary value. */
export function pyRound(x: number, n = 0): number {
  if (!Number.isFinite(x)) return x;
  if (n === 0) {
    const r = Math.round(x);
    // Math.round rounds .5 up; Python rounds half to even.
    if (Math.abs(x % 1) === 0.5) return 2 * Math.round(x / 2);
    return r;
  }
  const s = x.toFixed(Math.min(100, Math.max(0, n)));
  return Number(s);
}
