import { RhoError } from '../errors.ts';

/** A Hugging Face `pattern`: `{String: "..."}` (literal) or `{Regex: "..."}` (Oniguruma). */
export type PatternSpec = { String: string } | { Regex: string };

/**
 * The pattern as a global JavaScript RegExp. Oniguruma's scoped case-insensitive groups
 * `(?i:...)` (Llama-3's split pattern) are not JavaScript on Node 20, so their ASCII letters are
 * spelled out as `[xX]` classes.
 */
export function compilePattern(p: PatternSpec, field: string): RegExp {
  if ('String' in p) return new RegExp(escapeRegExp(p.String), 'gu');
  try {
    return new RegExp(expandCaseInsensitiveGroups(p.Regex), 'gu');
  } catch (e) {
    throw new RhoError('UNSUPPORTED', `regex ${JSON.stringify(p.Regex)} does not compile in JavaScript`, { field }, { cause: e });
  }
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function expandCaseInsensitiveGroups(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    if (src.startsWith('(?i:', i)) {
      out += '(?:';
      i += 4;
      let depth = 1;
      let inClass = false;
      while (i < src.length && depth > 0) {
        const c = src[i]!;
        if (c === '\\') {
          out += src.slice(i, i + 2);
          i += 2;
          continue;
        }
        if (inClass) {
          if (c === ']') inClass = false;
          out += /[a-zA-Z]/.test(c) ? c.toLowerCase() + c.toUpperCase() : c;
        } else if (c === '[') {
          inClass = true;
          out += c;
        } else if (c === '(') {
          depth++;
          out += c;
        } else if (c === ')') {
          depth--;
          out += c;
        } else {
          out += /[a-zA-Z]/.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
        }
        i++;
      }
      continue;
    }
    if (src[i] === '\\') {
      out += src.slice(i, i + 2);
      i += 2;
      continue;
    }
    out += src[i]!;
    i++;
  }
  return out;
}

export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext';

/** Split `text` around the matches of `re` (global), keeping the matches as `behavior` says. */
export function splitByPattern(text: string, re: RegExp, behavior: SplitBehavior): string[] {
  const out: string[] = [];
  let last = 0;
  let carry = ''; // a delimiter waiting to join the next piece (MergedWithNext)
  re.lastIndex = 0;
  for (const m of text.matchAll(re)) {
    const start = m.index;
    const end = start + m[0].length;
    if (end === start) continue;
    const before = text.slice(last, start);
    const delim = m[0];
    switch (behavior) {
      case 'Removed':
        if (before) out.push(before);
        break;
      case 'Isolated':
        if (before) out.push(before);
        out.push(delim);
        break;
      case 'MergedWithPrevious':
        out.push(before + delim);
        break;
      case 'MergedWithNext':
        if (carry || before) out.push(carry + before);
        carry = delim;
        break;
    }
    last = end;
  }
  const rest = text.slice(last);
  if (behavior === 'MergedWithNext') {
    if (carry || rest) out.push(carry + rest);
  } else if (rest) {
    out.push(rest);
  }
  return out;
}
