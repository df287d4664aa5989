import { RhoError } from '../errors.ts';

/**
 * The option parsers of every command: each takes the flag's name and gives a parser of the flag's
 * text (a commander `argParser`, or called on a value read some other way) that returns the value
 * or throws a BAD_CONFIG RhoError naming the flag and the text, reported once by `runMain`.
 */
export type OptionParser<T> = (text: string) => T;

/** A bound of a number's range: `gt`/`lt` exclude the bound, `min`/`max` include it. */
export interface NumberRange {
  min?: number;
  max?: number;
  gt?: number;
  lt?: number;
}

/** The range in words: `>= 1`, `in [0, 10]`, `in (0, 600]`, `> 0 and < 2147483`. */
function rangeWords(r: NumberRange): string {
  const lo = r.gt !== undefined ? { v: r.gt, open: true } : r.min !== undefined ? { v: r.min, open: false } : undefined;
  const hi = r.lt !== undefined ? { v: r.lt, open: true } : r.max !== undefined ? { v: r.max, open: false } : undefined;
  if (lo && hi) return ` in ${lo.open ? '(' : '['}${lo.v}, ${hi.v}${hi.open ? ')' : ']'}`;
  if (lo) return ` ${lo.open ? '>' : '>='} ${lo.v}`;
  if (hi) return ` ${hi.open ? '<' : '<='} ${hi.v}`;
  return '';
}

function inRange(n: number, r: NumberRange): boolean {
  return (r.min === undefined || n >= r.min) && (r.max === undefined || n <= r.max) && (r.gt === undefined || n > r.gt) && (r.lt === undefined || n < r.lt);
}

// the message names the flag, so the context does not (a `field` would print it twice)
function bad(flag: string, what: string, text: string): RhoError {
  return new RhoError('BAD_CONFIG', `${flag} must be ${what}, got ${text}`, { flag, got: text });
}

/** A finite number in the range; `unit` names what it counts (`a number of seconds in (0, 600]`). */
export function num(flag: string, range: NumberRange = {}, unit?: string): OptionParser<number> {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || !inRange(n, range)) throw bad(flag, `a number${unit ? ` of ${unit}` : ''}${rangeWords(range)}`, text);
    return n;
  };
}

/** An integer in the range: `an integer >= 0`, `an integer in [0, 20]`. */
export function int(flag: string, range: NumberRange = {}): OptionParser<number> {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || !inRange(n, range)) throw bad(flag, `an integer${rangeWords(range)}`, text);
    return n;
  };
}

/** An integer >= 1 (a count, a size). */
export const positiveInt = (flag: string): OptionParser<number> => int(flag, { min: 1 });

/** An integer >= 0 (a seed, an index). */
export const nonNegativeInt = (flag: string): OptionParser<number> => int(flag, { min: 0 });

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** A size such as 8G, 512M, 1.5GiB or a byte count, as a whole number of bytes > 0. */
export function bytes(flag: string): OptionParser<number> {
  return (text) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
    const n = m ? Number(m[1]) * UNITS[m[2]!.toUpperCase()]! : Number.NaN;
    if (!(n > 0)) throw bad(flag, 'a size such as 8G or 512M', `'${text}'`);
    return Math.floor(n);
  };
}

/** One of the choices, as given. */
export function oneOf<const T extends string>(flag: string, choices: readonly T[]): OptionParser<T> {
  return (text) => {
    if (!(choices as readonly string[]).includes(text)) throw bad(flag, `one of ${choices.join(', ')}`, text);
    return text as T;
  };
}
