/**
 * The answer-finding patterns of Math-Verify's parser, each with its priority (lower is tried
 * first): "final answer is ... I hope" (0), \boxed (the configured priority; Math-Verify's default
 * 50), "final answer ... is" (50), "answer:" (100), "answer" (200), and with no anchor at all (300):
 * a LaTeX environment ($...$, \[...\], \(...\)), a plain number or expression, a choice letter.
 * JavaScript has no (?i:...) groups, so the case-insensitive words are spelt out letter by letter.
 */

export type MatchType = 'latex' | 'expr' | 'string';

export interface Pattern {
  re: RegExp;
  priority: number;
  type: MatchType;
}

/** (?i:word) */
function ci(word: string): string {
  return word.replace(/[a-zA-Z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
}
const ANSWER = ci('answer');
const FINAL_ANSWER_IS = ci('final answer is');
const FINAL_ANSWER = ci('final answer');

function latexEnvPattern(prefix: string, context: 'boxed' | 'plain'): string {
  const percent = `(?<${prefix}percent>(?:\\\\?%|[Pp]ercent|[Pp]ercentage|[Pp]ct))`;
  let displayDollar = '(?:[^$]|\\$(?!\\$))';
  let displayBracket = '(?:[^\\\\]|\\\\(?!\\]))';
  let inlineDollar = '(?:\\\\[$]|[^\\n$])';
  let inlineParen = '(?:[^\\\\\\n]|\\\\(?!\\)))';
  let inlineBracket = '[^\\n\\]\\[]';
  const boxed = (c: string) => `${c}*?\\\\boxed{${c}+?}${c}*?`;
  if (context === 'boxed') {
    [displayDollar, displayBracket, inlineDollar, inlineParen, inlineBracket] = [displayDollar, displayBracket, inlineDollar, inlineParen, inlineBracket].map(
      boxed,
    ) as [string, string, string, string, string];
  } else {
    [displayDollar, displayBracket, inlineDollar, inlineParen, inlineBracket] = [displayDollar, displayBracket, inlineDollar, inlineParen, inlineBracket].map(
      (c) => `${c}+?`,
    ) as [string, string, string, string, string];
  }
  const patterns = [
    `(?<!\\\\)\\$\\$(?<${prefix}latexDisplayDollar>${displayDollar})(?<!\\\\)\\$\\$`,
    `(?<!\\\\)\\\\\\[(?<${prefix}latexDisplayBracket>${displayBracket})(?<!\\\\)\\\\\\]`,
    `(?<!\\\\|\\d)\\$(?<${prefix}latexInlineDollar>${inlineDollar})(?<!\\\\)\\$`,
    `(?<!\\\\)\\\\\\((?<${prefix}latexInlineParenthesis>${inlineParen})(?<!\\\\)\\\\\\)`,
    `\\s\\[(?<${prefix}latexInlineBracket>${inlineBracket})\\]\\s`,
  ];
  if (context === 'plain') {
    const simpleNumber = '-?\\d+(?:[.,]\\d+)?';
    patterns.push(`(?<${prefix}latexFraction>-?\\\\frac{${simpleNumber}}{${simpleNumber}})`);
  }
  return `(?:(?:${patterns.join('|')})\\s*${percent}?)`;
}

export function latexPatterns(boxedPriority: number, withoutAnchor = true): Pattern[] {
  const next = (context: 'boxed' | 'plain') =>
    [1, 2, 3, 4, 5].map((i) => `${context === 'boxed' ? '\\s*' : ''}(?:\\s*(?:,?and|,?or|,)\\s*${latexEnvPattern(`next${i}_`, context)})?`).join('');
  const envs = `(?:${latexEnvPattern('first_', 'plain')}${next('plain')})`;
  const list: Array<[string, number]> = [
    [`${FINAL_ANSWER_IS}\\:?\\s*${envs}\\.?\\s?I hope`, 0],
    [`${FINAL_ANSWER}.{0,100}?\\s+is\\:?\\s*${envs}`, 50],
    [`${ANSWER}:.{0,50}?${envs}`, 100],
    [`${ANSWER}.{0,50}?${envs}`, 200],
  ];
  if (withoutAnchor) list.push([envs, 300]);
  if (boxedPriority >= 0) {
    list.push([`${latexEnvPattern('first_', 'boxed')}${next('boxed')}`, boxedPriority]);
    // a \boxed with nothing around it: where it ends is settled by the normalisation, not here
    list.push(['(?<first_latexBoxed>\\\\boxed{.+})', boxedPriority]);
  }
  return list.map(([re, priority]) => ({ re: new RegExp(re, 'gs'), priority, type: 'latex' as const }));
}

const CURRENCY = '$€£¥₹₽₪₩₫฿₡₢₣₤₥₦₧₨₩₪₫₭₮₯₰₱₲₳₴₵₶₷₸₹₺₻₼₽₾₿'.replace(/[$]/g, '\\$');

export function exprPatterns(withoutAnchor = true): Pattern[] {
  const number =
    '(?<!\\d)(?:' +
    '(?<integer1>-?[1-9]\\d{0,2}(?:[ ,]\\d{3})+)(?<decimal1>\\.\\d+)?|' +
    '(?<integer2>-?\\d+)(?<decimal2>[.,]\\d+)|' +
    '(?<decimal3>\\.\\d+)|' +
    '(?<integer3>-?\\d+)' +
    ')(?<percent>\\s*(?:%|[Pp]ercent|\\s*[Pp]ercentage|\\s*[Pp]ct))?';
  const ops = '\\+\\-\\*\\×\\/\\^\\(\\)\\÷';
  const chars = `[\\d\\.\\s${ops}]`;
  const expr = `(?<expr>-?\\(?-?\\d${chars}*[${ops}]${chars}+\\)?)`;
  const prefix = '(?:^|\\s|\\=)(?:\\*\\*)?';
  const suffix = '(?:\\*\\*)?(?:\\.|,|:|\\s|\\)|\\$|$)';
  const exprAnchored = `(?:${prefix}${expr}${suffix})`;
  const numberAnchored = `(?:${prefix}[${CURRENCY}]?${number})`;
  const either = `(?:${exprAnchored}|${numberAnchored})`;
  const list: Array<[string, number]> = [
    [`${FINAL_ANSWER_IS}\\:?\\s*${either}\\.?\\s?I hope`, 0],
    [`${FINAL_ANSWER}.{0,100}?\\s+is\\:?${either}`, 50],
    [`${ANSWER}:(?:.{0,100}=\\s*|.{0,50}?)${either}(?!\\s*=)`, 100],
    [`${ANSWER}(?:.{0,100}=\\s*|.{0,50}?)${either}(?!\\s*=)`, 200],
  ];
  if (withoutAnchor) list.push([exprAnchored, 300], [numberAnchored, 300]);
  return list.map(([re, priority]) => ({ re: new RegExp(re, 'g'), priority, type: 'expr' as const }));
}

export function stringPatterns(strings: readonly string[], withoutAnchor = true): Pattern[] {
  const keys = `(?<string_keys>${strings.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`;
  const suffix = '(?:\\*\\*)?(?:\\.|,|:|\\s|$)';
  const answer = `(^|\\s)(?:\\*\\*)?${keys}${suffix}`;
  const list: Array<[string, number]> = [
    [`${FINAL_ANSWER_IS}\\:?\\s*${keys}\\.?\\s?I hope`, 0],
    [`${FINAL_ANSWER}.{0,100}?\\s+is\\:?\\s*${keys}`, 50],
    [`${ANSWER}:.{0,50}?${answer}`, 100],
    [`${ANSWER}.{0,50}?${answer}`, 200],
  ];
  if (withoutAnchor) list.push([`^(?:\\*\\*)?${keys}${suffix}`, 250], [answer, 300]);
  return list.map(([re, priority]) => ({ re: new RegExp(re, 'g'), priority, type: 'string' as const }));
}
