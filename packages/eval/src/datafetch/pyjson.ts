/**
 * `json.dumps(value)` with Python's defaults (", " and ": " separators, ensure_ascii), so a
 * converted file is byte-identical to one Python wrote and its sha256 can be checked.
 */
import { RhoError } from '@rho/core/base';

function pyJsonString(s: string): string {
  // JSON.stringify escapes quotes, backslashes and controls as Python does; ensure_ascii then
  // escapes everything outside printable ASCII as \uXXXX (UTF-16 units, lowercase hex).
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function pyJsonNumber(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
  // Integers parsed from JSON lose their float-ness (1.0 reads as 1); sources we convert hold
  // only ints where Python had ints, so printing integers without ".0" matches.
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return String(n);
  // Python's float repr: shortest round-trip digits (as JS), but scientific notation below
  // 1e-4 (JS waits until 1e-7) and an exponent of at least two digits ("1e-05")
  const [mantissa, exp] = n.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e >= -4 && e < 16) return String(n);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

export function pyJsonDumps(value: unknown): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return pyJsonString(value);
  if (typeof value === 'number') return pyJsonNumber(value);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pyJsonString(k)}: ${pyJsonDumps(v)}`)
      .join(', ')}}`;
  }
  throw new RhoError('UNSUPPORTED', `cannot serialise ${typeof value} as JSON`);
}
