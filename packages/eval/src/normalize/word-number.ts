/**
 * word2number's `w2n.word_to_num` (v1.1), which the harness applies to every answer string:
 * any string holding a number word ("one", "hundred", "point") becomes that number, the rest of
 * the string dropped. Returns null where the library raises (the harness then keeps the string).
 */
import { pyFloatRepr, pyIsDigit, pySplitWs, pyStrip } from './python.ts';

const SYSTEM: Record<string, number | '.'> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  hundred: 100,
  thousand: 1000,
  million: 1000000,
  billion: 1000000000,
  point: '.',
};
const DECIMAL_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

type Num = { v: number; float: boolean };

function has(word: string): boolean {
  return Object.hasOwn(SYSTEM, word);
}

function numberFormation(words: string[]): number {
  const n = words.map((w) => SYSTEM[w] as number);
  if (n.length === 0) throw new Error('IndexError');
  if (n.length === 4) return n[0]! * n[1]! + n[2]! + n[3]!;
  if (n.length === 3) return n[0]! * n[1]! + n[2]!;
  if (n.length === 2) return n.includes(100) ? n[0]! * n[1]! : n[0]! + n[1]!;
  return n[0]!;
}

function decimalSum(words: string[]): Num {
  let digits = '';
  for (const w of words) {
    if (!DECIMAL_WORDS.includes(w)) return { v: 0, float: false };
    digits += String(SYSTEM[w]);
  }
  return { v: Number(`0.${digits}`), float: true };
}

function count(a: string[], w: string): number {
  return a.filter((x) => x === w).length;
}

function wordToNum(sentence: string): Num | null {
  let s = sentence.replace(/-/g, ' ').toLowerCase();
  s = pyStrip(s);
  let clean = pySplitWs(s).filter(has);
  if (clean.length === 0) return null;
  if (count(clean, 'thousand') > 1 || count(clean, 'million') > 1 || count(clean, 'billion') > 1 || count(clean, 'point') > 1) return null;
  let decimals: string[] = [];
  if (count(clean, 'point') === 1) {
    const p = clean.indexOf('point');
    decimals = clean.slice(p + 1);
    clean = clean.slice(0, p);
  }
  const bi = clean.indexOf('billion');
  const mi = clean.indexOf('million');
  const ti = clean.indexOf('thousand');
  if ((ti > -1 && (ti < mi || ti < bi)) || (mi > -1 && mi < bi)) return null;
  let total = 0;
  try {
    if (clean.length === 1) {
      total += SYSTEM[clean[0]!] as number;
    } else if (clean.length > 1) {
      if (bi > -1) total += numberFormation(clean.slice(0, bi)) * 1e9;
      if (mi > -1) total += numberFormation(bi > -1 ? clean.slice(bi + 1, mi) : clean.slice(0, mi)) * 1e6;
      if (ti > -1) {
        const from = mi > -1 ? mi + 1 : bi > -1 ? bi + 1 : 0;
        total += numberFormation(clean.slice(from, ti)) * 1000;
      }
      let hundreds = 0;
      if (ti > -1 && ti !== clean.length - 1) hundreds = numberFormation(clean.slice(ti + 1));
      else if (mi > -1 && mi !== clean.length - 1) hundreds = numberFormation(clean.slice(mi + 1));
      else if (bi > -1 && bi !== clean.length - 1) hundreds = numberFormation(clean.slice(bi + 1));
      else if (ti === -1 && mi === -1 && bi === -1) hundreds = numberFormation(clean);
      total += hundreds;
    }
  } catch {
    return null;
  }
  if (decimals.length > 0) {
    const d = decimalSum(decimals);
    return { v: total + d.v, float: d.float };
  }
  return { v: total, float: false };
}

/** The harness's convert_word_number: the number's str(), or the text unchanged. */
export function convertWordNumber(text: string): string {
  const lowered = text.replace(/-/g, ' ').toLowerCase();
  if (pyIsDigit(lowered)) {
    // int(): leading zeros go; Unicode-only digits (superscripts) make it raise.
    return /^[0-9]+$/.test(lowered) ? BigInt(lowered).toString() : text;
  }
  // No ASCII letter means no number word.
  if (!/[a-z]/.test(lowered)) return text;
  const n = wordToNum(text);
  if (n === null) return text;
  return n.float ? pyFloatRepr(n.v) : String(n.v);
}
