/**
 * Python string semantics the harness's question text depends on beyond str.strip() (which lives,
 * with the other built-ins, in normalize/python.ts): `repr()` of a list of strings (tabmwp puts a
 * Python list into the question), and reading a list-of-strings literal (mathqa's options, which
 * the harness `eval`s).
 */
import { RhoError } from '@rho/core/base';

/** Python's `str[0].upper() + str[1:]` on code points. */
export function pyCapitalizeFirst(s: string): string {
  const first = s.codePointAt(0);
  if (first === undefined) return s;
  const ch = String.fromCodePoint(first);
  return ch.toUpperCase() + s.slice(ch.length);
}

function isPyPrintable(cp: number): boolean {
  // Close enough to str.isprintable() for benchmark text: controls, separators other than
  // space, surrogates and unassigned-by-category are escaped by repr().
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp >= 0x80 && cp < 0xa0) return false;
  const ch = String.fromCodePoint(cp);
  return !/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u.test(ch) && !(/\p{Zs}/u.test(ch) && cp !== 0x20);
}

/** Python's `repr()` of a str. */
export function pyReprStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (isPyPrintable(cp)) out += ch;
    else if (cp <= 0xff) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

/** Python's `repr()`/f-string of a value as found in JSON records (str, number, bool, None, list). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return pyReprStr(v);
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  throw new RhoError('UNSUPPORTED', `no Python repr for ${typeof v}`, { got: v });
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

/**
 * Parse a Python list literal of string literals, e.g. `['a ) 10', "b ) 12.5"]`: the only
 * shape `eval` meets in the harness's data. Anything else is an error, not code to run.
 */
export function parsePyStringList(src: string): string[] {
  const fail = (why: string): never => {
    throw new RhoError('BAD_INPUT', `not a Python list of strings: ${why}`, { got: src.slice(0, 120) });
  };
  const out: string[] = [];
  let i = 0;
  const skip = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  skip();
  if (src[i] !== '[') fail("expected '['");
  i++;
  skip();
  if (src[i] === ']') return out;
  for (;;) {
    skip();
    const q = src[i];
    if (q !== "'" && q !== '"') fail(`expected a quote at ${i}`);
    i++;
    let s = '';
    for (;;) {
      if (i >= src.length) fail('unterminated string');
      const c = src[i]!;
      if (c === q) break;
      if (c === '\\') {
        const e = src[i + 1] ?? '';
        if (e in SIMPLE_ESCAPES) {
          s += SIMPLE_ESCAPES[e];
          i += 2;
        } else if (e === 'x' || e === 'u' || e === 'U') {
          const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
          const hex = src.slice(i + 2, i + 2 + n);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) fail(`bad escape at ${i}`);
          s += String.fromCodePoint(parseInt(hex, 16));
          i += 2 + n;
        } else {
          // Python keeps unknown escapes verbatim
          s += c;
          i += 1;
        }
        continue;
      }
      s += c;
      i++;
    }
    i++;
    out.push(s);
    skip();
    if (src[i] === ',') {
      i++;
      skip();
      if (src[i] === ']') break;
      continue;
    }
    if (src[i] === ']') break;
    fail(`expected ',' or ']' at ${i}`);
  }
  i++;
  skip();
  if (i !== src.length) fail('trailing text');
  return out;
}
