export { stripString, fixFracs, fixASlashB, fixSqrt } from './strip-string.ts';
export { convertWordNumber } from './word-number.ts';
export { removeUnitTexts, UNIT_TEXTS } from './units.ts';
export { pyFloat, pyFloatRepr, pyStr, pyStrip } from './python.ts';
import { stripString } from './strip-string.ts';

/** The default normalisation: the harness's strip_string. */
export function normalize(answer: string): string {
  return stripString(answer);
}
