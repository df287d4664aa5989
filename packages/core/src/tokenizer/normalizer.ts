import { RhoError } from '../errors.ts';
import { compilePattern, type PatternSpec } from './regex.ts';

export type Normalizer = (text: string) => string;
type Spec = { type: string; [k: string]: unknown };

/** A normalizer from its tokenizer.json description (`null` leaves text as is). */
export function buildNormalizer(spec: Spec | null | undefined): Normalizer {
  if (spec == null) return (s) => s;
  switch (spec.type) {
    case 'Sequence': {
      const parts = (spec.normalizers as Spec[]).map(buildNormalizer);
      return (s) => parts.reduce((acc, f) => f(acc), s);
    }
    case 'Prepend': {
      const p = String(spec.prepend);
      return (s) => (s.length > 0 ? p + s : s);
    }
    case 'Replace': {
      const re = compilePattern(spec.pattern as PatternSpec, 'normalizer.pattern');
      const content = String(spec.content);
      return (s) => s.replace(re, () => content);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = spec.type;
      return (s) => s.normalize(form);
    }
    case 'Lowercase':
      return (s) => s.toLowerCase();
    case 'Strip': {
      const left = spec.strip_left !== false;
      const right = spec.strip_right !== false;
      return (s) => (left && right ? s.trim() : left ? s.trimStart() : right ? s.trimEnd() : s);
    }
    default:
      throw new RhoError('UNSUPPORTED', `Unknown normalizer type: ${spec.type}`, { field: 'normalizer' });
  }
}
