/**
 * Math-Verify's `parse`: every pattern's matches, lowest priority number first; within a priority,
 * the match that ends last (then starts first) is tried first; the first that reads as mathematics
 * is the answer. The text of the first match tried is kept as well (the "fallback"), so that two
 * answers nothing can read are still equal when they are the same text.
 */
import type { Expr } from '../grader/expr.ts';
import { parsePython } from '../grader/python-parse.ts';
import { exprPatterns, latexPatterns, stringPatterns, type MatchType, type Pattern } from './extract-patterns.ts';
import { readStrictLatex } from './latex-reader.ts';
import { DEFAULT_NORMALIZE, normalizeLatex } from './normalize.ts';

export interface ExtractOptions {
  /** Which kinds of answer to look for (Math-Verify's extraction targets). */
  matchTypes: readonly MatchType[];
  /** Priority of \boxed among the LaTeX patterns (0: before everything; -1: never). */
  boxedPriority: number;
  /** Choice letters for the 'string' match type. */
  strings: readonly string[];
  /** Lower-case an extracted letter. */
  lowercase: boolean;
}

export const DEFAULT_EXTRACT: Readonly<ExtractOptions> = Object.freeze({
  matchTypes: ['latex', 'expr'] as MatchType[],
  boxedPriority: 50,
  strings: ['A', 'B', 'C', 'D'],
  lowercase: true,
});

/** A value read from an answer: a parsed expression, or a string (a choice letter, a fallback text). */
export type Extracted = Expr | string;

export interface Extraction {
  /** The parsed answer (at most one) followed by the fallback text, as parse() returns them. */
  values: Extracted[];
  /** The normalised text of the answer that was read, or of the first match when none could be. */
  text: string;
}

/** Texts longer than this are not read (a bound on the work per answer, in place of a timeout). */
const MAX_ANSWER_CHARS = 2000;

const patternCache = new Map<string, Pattern[]>();
function patternsFor(o: ExtractOptions): Pattern[] {
  const key = JSON.stringify([o.matchTypes, o.boxedPriority, o.strings]);
  let list = patternCache.get(key);
  if (!list) {
    list = o.matchTypes.flatMap((t) => (t === 'latex' ? latexPatterns(o.boxedPriority) : t === 'expr' ? exprPatterns() : stringPatterns(o.strings)));
    list.sort((a, b) => a.priority - b.priority);
    patternCache.set(key, list);
  }
  return list;
}

function group(m: RegExpExecArray, name: string): string | undefined {
  const v = m.groups?.[name];
  return v === undefined || v === '' ? undefined : v;
}

function readLatex(m: RegExpExecArray): [Expr | null, string] {
  const groups = Object.entries(m.groups ?? {});
  const prefixes = ['first', 'next1', 'next2', 'next3', 'next4', 'next5'];
  const exprs: (Expr | null)[] = [];
  const texts: string[] = [];
  for (const prefix of prefixes) {
    const found = groups.find(([n, v]) => n.startsWith(`${prefix}_latex`) && v !== undefined && v !== '');
    if (!found) continue;
    const [name, latex] = found as [string, string];
    const text = normalizeLatex(latex, { ...DEFAULT_NORMALIZE, boxed: name.endsWith('latexBoxed') ? 'last' : 'all' });
    texts.push(text);
    const parsed = text.length > MAX_ANSWER_CHARS ? null : readStrictLatex(text);
    exprs.push(parsed && group(m, `${prefix}_percent`) ? { k: 'pct', arg: parsed } : parsed);
  }
  if (exprs.length === 0) return [null, ''];
  if (exprs.length > 1 && exprs.every((e) => e !== null)) {
    // "1, 2 and $3$": the answers of several environments are one set
    const items = exprs.flatMap((e) => (e!.k === 'set' ? e!.items : [e!]));
    return [{ k: 'set', items }, texts.join(' and ')];
  }
  return [exprs[0]!, texts[0]!];
}

function readExpr(m: RegExpExecArray): [Expr | null, string] {
  const integer = ['integer1', 'integer2', 'integer3'].map((n) => group(m, n)).find((v) => v !== undefined) ?? '';
  const decimal = ['decimal1', 'decimal2', 'decimal3'].map((n) => group(m, n)).find((v) => v !== undefined) ?? '';
  if (integer || decimal) {
    // 0001 is 1, 1 000 and 1,000 are 1000, and 2,74 is 2.74
    const neg = integer.startsWith('-');
    const digits = integer.replace(/[, ]/g, '').replace(/^-/, '').replace(/^0+/, '');
    const text = `${neg ? '-' : ''}${digits || '0'}${decimal.replace(',', '.')}`;
    const n: Expr = { k: 'num', v: Number(text), text };
    return [group(m, 'percent') ? { k: 'pct', arg: n } : n, text];
  }
  const expr = group(m, 'expr') ?? '';
  if (expr) {
    const parsed = expr.length > MAX_ANSWER_CHARS ? null : parsePython(expr.replace(/\n/g, ' ').replace(/\^/g, '**'));
    return [parsed, expr];
  }
  return [null, expr];
}

function readMatch(m: RegExpExecArray, type: MatchType, o: ExtractOptions): [Extracted | null, string] {
  if (type === 'latex') return readLatex(m);
  if (type === 'expr') return readExpr(m);
  const s = m.groups!['string_keys']!;
  return [o.lowercase ? s.toLowerCase() : s, s];
}

export function extractAnswer(text: string, opts: Partial<ExtractOptions> = {}): Extraction {
  const o: ExtractOptions = { ...DEFAULT_EXTRACT, ...opts };
  const patterns = patternsFor(o);
  const fallbacks: string[] = [];
  let found: Extracted | null = null;
  let foundText = '';
  for (let p = 0; p < patterns.length && found === null; ) {
    const priority = patterns[p]!.priority;
    const matches: Array<{ m: RegExpExecArray; type: MatchType }> = [];
    for (; p < patterns.length && patterns[p]!.priority === priority; p++) {
      const { re, type } = patterns[p]!;
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        matches.push({ m, type });
        if (m[0].length === 0) re.lastIndex++;
      }
    }
    // the rightmost end first; for equal ends, the longest (earliest start)
    matches.sort((a, b) => b.m.index + b.m[0].length - (a.m.index + a.m[0].length) || a.m.index - b.m.index);
    for (const { m, type } of matches) {
      const [value, fallback] = readMatch(m, type, o);
      if (fallback) fallbacks.push(fallback);
      if (value !== null) {
        found = value;
        foundText = fallback;
        break;
      }
    }
  }
  const values: Extracted[] = found !== null ? [found] : [];
  if (fallbacks.length > 0) values.push(fallbacks[0]!);
  return { values, text: found !== null ? foundText : (fallbacks[0] ?? '') };
}
