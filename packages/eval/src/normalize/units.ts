/**
 * The harness's unit-word removal (its list was built mainly from MathQA). Each entry is spliced
 * into a regular expression as written, so '.' in "q ." matches any character: kept on purpose.
 */
import { PY_NONWORD } from './python.ts';

const BASE_UNITS = [
  'east',
  'degree',
  'mph',
  'kmph',
  'ft',
  'm sqaure',
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
  'a',
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
  'percent',
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
  'feet',
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

export const UNIT_TEXTS: readonly string[] = [...BASE_UNITS, ...BASE_UNITS.map((t) => `${t}s`)];

interface UnitRule {
  /**
   * The entry's first run of word characters. A match needs non-word characters (or the ends)
   * around the whole entry, so this run must be a whole word of the string: a cheap filter.
   */
  key: string;
  re: RegExp;
}

const WORD_RUN = /[\p{L}\p{N}_]+/gu;

const RULES: UnitRule[] = UNIT_TEXTS.map((t) => {
  const body = t.replace(/[\\^$*+?()[\]{}|/]/g, '\\$&').replace(/\./g, '[^\\n]');
  return {
    key: t.match(WORD_RUN)![0]!,
    re: new RegExp(`(^|${PY_NONWORD})${body}($|${PY_NONWORD})`, 'gu'),
  };
});

/** Two passes over the list, each replacement kept only when it leaves something. */
export function removeUnitTexts(input: string): string {
  // Every entry contains an ASCII letter.
  if (!/[a-zA-Z]/.test(input)) return input;
  // Removal keeps the separators, so words never merge: the first set of words stays a superset.
  const words = new Set(input.match(WORD_RUN));
  let s = input;
  for (let pass = 0; pass < 2; pass++) {
    for (const rule of RULES) {
      if (!words.has(rule.key)) continue;
      const out = s.replace(rule.re, '$1$2');
      if (out !== '') s = out;
    }
  }
  return s;
}
