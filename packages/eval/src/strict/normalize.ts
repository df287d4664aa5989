/**
 * LaTeX clean-up before the strict reading, as latex2sympy2_extended's normalize_latex does it
 * with Math-Verify's default configuration: the \boxed content, basic LaTeX (\left/\right, \mathrm
 * to \text, \dfrac/\cfrac to \frac, "and"/"or" to commas, percent words to \%), units and their
 * text stripped from the end, a leading '.' made 0., and malformed \frac12, \sqrt3, a/b repaired.
 */

export type BoxedMode = 'all' | 'last' | 'none';

export interface NormalizeConfig {
  basicLatex: boolean;
  units: boolean;
  malformedOperators: boolean;
  nits: boolean;
  boxed: BoxedMode;
}

export const DEFAULT_NORMALIZE: Readonly<NormalizeConfig> = Object.freeze({
  basicLatex: true,
  units: true,
  malformedOperators: true,
  nits: true,
  boxed: 'all',
});

// The unit words, as latex2sympy2_extended lists them (its first two entries run together in its source).
const UNITS = [
  'integerpoint',
  'feet',
  'sue',
  'digit',
  'pound',
  'meal',
  'edge',
  'student',
  'children ticket',
  'multiple',
  'east',
  'degree',
  'mph',
  'kmph',
  'ft',
  'm square',
  ' m east',
  'sq m',
  'deg',
  'mile',
  'q .',
  'monkey',
  'prime',
  'ratio',
  'profit of rs',
  'rd',
  'o',
  'gm',
  'p . m',
  'lb',
  'tile',
  'per',
  'dm',
  'lt',
  'gain',
  'ab',
  'way',
  'west',
  'a .',
  'b .',
  'c .',
  'd .',
  'e .',
  'f .',
  'g .',
  'h .',
  't',
  'h',
  'no change',
  'men',
  'soldier',
  'pie',
  'bc',
  'excess',
  'st',
  'inches',
  'noon',
  'cent',
  'by',
  'gal',
  'kmh',
  'c',
  'acre',
  'rise',
  'a . m',
  'th',
  'π r 2',
  'sq',
  'mark',
  'l',
  'toy',
  'coin',
  'sq . m',
  'gallon',
  '° f',
  'profit',
  'minw',
  'yr',
  'women',
  'am',
  'pm',
  'hr',
  'cu cm',
  'square',
  'v â € ™',
  'are',
  'rupee',
  'rounds',
  'cubic',
  'cc',
  'mtr',
  's',
  'ohm',
  'number',
  'kmph',
  'day',
  'hour',
  'minute',
  'min',
  'second',
  'man',
  'woman',
  'sec',
  'cube',
  'mt',
  'sq inch',
  'mp',
  '∏ cm ³',
  'hectare',
  'more',
  'sec',
  'unit',
  'cu . m',
  'cm 2',
  'rs .',
  'rs',
  'kg',
  'g',
  'month',
  'km',
  'm',
  'cm',
  'mm',
  'apple',
  'liter',
  'loss',
  'yard',
  'pure',
  'year',
  'increase',
  'decrease',
  'd',
  'less',
  'Surface',
  'litre',
  'pi sq m',
  's .',
  'metre',
  'meter',
  'inch',
];
// The words go into the pattern unescaped, as in the source ("q ." matches "q" and any character).
const UNITS_RE = new RegExp(`(\\d|\\}|\\s)\\s*(?:(?:${UNITS.join('|')})(?:s|es)?)\\s*$`);

const LEFT_RE =
  /\\m?left(\\\{|\{|\\\||\||\[|\(|\\rbracl|\\lgroup|\\lbrace|\\lbrack|\\vert|\\lvert|\\lceil|\\lfloor|\\vert|\\lvert|\\langle|\\llcorner|\\ulcorner)/g;
const RIGHT_RE =
  /\\m?right(\\\}|\}|\\\||\||\]|\)|\\rbrack|\\rgroup|\\rbrace|\\rbrack|\\vert|\\rvert|\\rceil|\\rfloor|\\vert|\\rvert|\\rangle|\\lrcorner|\\urcorner)/g;
const PERMUTATION_RE = /\(([a-zA-Z0-9+\-*/\\ ]+?)\)_{([a-zA-Z0-9+\-*/\\ ]+?)}/g;
const TO_REMOVE_RE = /\\mathrm\{th\}|\\!\s*|\\text\s*\{\s*\}|\\\$|\$|(?<!\\)["']|\\displaystyle/g;
const COMMAND_SLASH_RE = /\\\\(?=[a-zA-Z])/g;
const UNIT_SUPERSCRIPT_RE = /(\\(?:text|mbox)\{.*?\})(\^\d|\{\^\d\})?$/;

/** One pass of replacements, the first alternative that matches at each place winning (as in the source). */
const REPLACEMENTS: Array<[string, string]> = [
  ['\\\\math(?:rm|it|bf)', '\\text'],
  ['\\\\text(?:normal|bf|it|rm)', '\\text'],
  ['\\\\(?:d|t|c)frac', '\\frac'],
  ['\\s\\.', ' 0.'],
  ['\\{\\.', '{0.'],
  ['\\~\\=', '\\approx'],
  ['\\s*\\{\\s*,\\s*\\}', ','],
  ['(?<![a-zA-Z])(?:,?\\s*(?:and|or))(?![a-zA-Z])', ','],
  ['(?:,?\\s*\\\\text\\{\\s*(?:and|or)\\s*\\})', ','],
  ['(?<!\\\\)\\\\\\s', ' '],
  ['infinity', '\\infty'],
  [',?(?:\\\\ldots)', ' '],
  ['\\s*\\bpercentage\\b', '\\%'],
  ['\\\\text\\{percentage\\}', '%'],
  ['\\s*\\bpercent\\b', '\\%'],
  ['\\\\text\\{percent\\}', '%'],
  ['\\s*\\bpct\\b', '\\%'],
  ['\\\\text\\{pct\\}', '%'],
  ['(?:(?<!\\\\)inf(?!inity))', '\\infty'],
  [' sqrt', '\\sqrt'],
];
const REPLACE_RE = new RegExp(REPLACEMENTS.map(([p]) => `(${p})`).join('|'), 'g');

function replaceInLatex(text: string): string {
  return text.replace(REPLACE_RE, (...m: unknown[]) => {
    for (let g = 1; g <= REPLACEMENTS.length; g++) if (m[g] !== undefined) return REPLACEMENTS[g - 1]![1];
    return m[0] as string;
  });
}

const MALFORMED: Array<[RegExp, string]> = [
  [/\^\s?\((.*?)\)/g, '^{$1}'],
  [/sqrt\s?\((.*?)\)/g, '\\sqrt{$1}'],
  [/\\frac\s?(\d)\s?(\d+)/g, '\\frac{$1}{$2}'],
  [/\\log_\s?(\d)\s?(\d+)/g, '\\log_{$1}{$2}'],
  [/\\frac\s?{(.*?)}\s?(\d)/g, '\\frac{$1}{$2}'],
  [/\\frac\s?(\d)\s?{(.*?)}/g, '\\frac{$1}{$2}'],
  [/\\sqrt\s?(\d)/g, '\\sqrt{$1}'],
];

function fixFracs(text: string): string {
  const parts = text.split('\\frac');
  let out = parts[0]!;
  for (let k = 1; k < parts.length; k++) {
    const sub = parts[k]!.replace(/^\s+/, '');
    out += '\\frac';
    if (sub.length > 0 && sub[0] === '{') out += sub;
    else if (sub.length < 2) return text;
    else {
      const a = sub[0]!;
      const b = sub[1]!;
      out += b !== '{' ? `{${a}}{${b}}${sub.slice(2)}` : `{${a}}${b}${sub.slice(2)}`;
    }
  }
  return out;
}

function fixSlash(text: string): string {
  const parts = text.split('/');
  if (parts.length !== 2) return text;
  const [a, b] = parts as [string, string];
  // Python int() accepts surrounding spaces and a sign, and the text must print back the same
  if (!/^-?\d+$/.test(a) || !/^-?\d+$/.test(b) || text !== `${BigInt(a)}/${BigInt(b)}`) return text;
  return `\\frac{${BigInt(a)}}{${BigInt(b)}}`;
}

function fixSqrt(text: string): string {
  if (!text.includes('\\sqrt')) return text;
  const parts = text.split('\\sqrt');
  let out = parts[0]!;
  for (const p of parts.slice(1)) {
    const s = p.replace(/^\s+/, '');
    out += s.length > 0 && s[0] !== '{' && s[0] !== '[' ? `\\sqrt{${s[0]}}${s.slice(1)}` : `\\sqrt${s}`;
  }
  return out;
}

/** Python's str.rfind(sub, 0, end): the last occurrence lying wholly before `end`. */
function rfind(text: string, sub: string, end: number): number {
  return end - sub.length < 0 ? -1 : text.lastIndexOf(sub, end - sub.length);
}

const SEPARATOR_RE = /\b(and|or)\b|,|;/;

/**
 * The \boxed{} (or \fbox{}) contents, right to left. "last": the last box, with the boxes before
 * it that a separator joins to it (close together, or "and"/","/";" within 70 characters);
 * "all": every box. Several are joined with commas.
 */
export function extractBoxed(text: string, mode: 'last' | 'all' = 'last'): string {
  const results: string[] = [];
  let current = text.length;
  let lastBoxedStart: number | null = null;
  let maxPos = text.length;
  for (;;) {
    const bi = rfind(text, '\\boxed', current);
    const fi = rfind(text, '\\fbox', current);
    if (bi < 0 && fi < 0) break;
    const start = Math.max(bi, fi);
    let next = start + (bi > fi ? 6 : 5);
    while (next < maxPos && /\s/.test(text[next]!)) next++;
    if (next >= maxPos) break;
    if (text[next] === '{') {
      let depth = 1;
      let end = -1;
      for (let k = next + 1; k < maxPos; k++) {
        if (text[k] === '{') depth++;
        else if (text[k] === '}' && --depth === 0) {
          end = k;
          break;
        }
      }
      if (end < 0) {
        if (results.length === 0) results.push(text.slice(next));
        break;
      }
      const content = text.slice(next + 1, end).trim();
      if (mode === 'last' && lastBoxedStart !== null) {
        const between = text.slice(end + 1, lastBoxedStart);
        const prev = results[results.length - 1] ?? '';
        const joined = between.length < 10 || (content !== prev && between.length < 70 && SEPARATOR_RE.test(between));
        if (!joined) break;
      }
      if (results.length === 0 || results[results.length - 1] !== content) results.push(content);
      lastBoxedStart = start;
      maxPos = start;
    } else {
      if (results.length === 0) results.push(text.slice(next));
      break;
    }
    current = start;
  }
  return results.length === 0 ? text : results.reverse().join(',');
}

export function normalizeLatex(input: string, config: NormalizeConfig = DEFAULT_NORMALIZE): string {
  let text = input;
  if (config.boxed !== 'none') text = extractBoxed(text, config.boxed);
  if (config.basicLatex) {
    text = text.split('\\mathrm{T}').join('T');
    text = text.split('\\mathrm{d}').join('d').split('{\\rm d}').join('d');
    text = text.split('\\left[\\begin{matrix}').join('\\begin{bmatrix}').split('\\end{matrix}\\right]').join('\\end{bmatrix}');
    text = text.replace(LEFT_RE, '$1').replace(RIGHT_RE, '$1');
    text = text.replace(PERMUTATION_RE, '\\frac{($1)!}{(($1)-($2))!}');
    text = text.replace(TO_REMOVE_RE, '');
    text = replaceInLatex(text);
    text = text.replace(/\n/g, ' ').replace(/\t/g, ' ');
    if (!text.includes('matrix')) text = text.replace(COMMAND_SLASH_RE, '\\');
  }
  if (config.units) {
    const stripped = text.replace(UNIT_SUPERSCRIPT_RE, '').trim();
    if (stripped !== '' && stripped !== text) text = stripped;
    for (let k = 0; k < 2; k++) {
      const t = text.replace(UNITS_RE, '$1');
      if (t !== '' && t !== text) text = t;
    }
  }
  if (config.nits) {
    if (text.length > 0 && text[0] === '.') text = `0${text}`;
    if (text === '0.5') text = '\\frac{1}{2}';
  }
  if (config.malformedOperators) {
    for (const [re, rep] of MALFORMED) text = text.replace(re, rep);
    text = text.split(' sqrt').join('\\sqrt');
    text = fixSqrt(text);
    text = fixFracs(text);
    text = fixSlash(text);
  }
  return text.trim();
}
