import { RhoError } from '../errors.ts';
import { GPT2_PATTERN, toByteChars } from './bytelevel.ts';
import { compilePattern, escapeRegExp, splitByPattern, type PatternSpec, type SplitBehavior } from './regex.ts';

/**
 * Splits one normalized segment into the pieces BPE merges within. `first` tells whether the
 * segment opens the input (Metaspace's `prepend_scheme: "first"`).
 */
export type PreTokenizer = (pieces: string[], first: boolean) => string[];
type Spec = { type: string; [k: string]: unknown };

const flat = (pieces: string[], f: (p: string, i: number) => string[]): string[] => pieces.flatMap(f);

export function buildPreTokenizer(spec: Spec | null | undefined): PreTokenizer {
  if (spec == null) return (p) => p;
  switch (spec.type) {
    case 'Sequence': {
      const parts = (spec.pretokenizers as Spec[]).map(buildPreTokenizer);
      return (pieces, first) => parts.reduce((acc, f) => f(acc, first), pieces);
    }
    case 'ByteLevel': {
      const prefix = spec.add_prefix_space === true;
      const useRegex = spec.use_regex !== false;
      return (pieces) => {
        const out: string[] = [];
        for (const p of pieces) {
          const s = prefix && !p.startsWith(' ') ? ` ${p}` : p;
          // GPT-2's pattern matches every character, so its matches are the whole isolated split.
          if (useRegex) for (const w of s.match(GPT2_PATTERN) ?? []) out.push(toByteChars(w));
          else if (s) out.push(toByteChars(s));
        }
        return out;
      };
    }
    case 'Metaspace': {
      const rep = String(spec.replacement ?? '▁');
      const scheme = (spec.prepend_scheme as string | undefined) ?? (spec.add_prefix_space === false ? 'never' : 'always');
      const split = spec.split !== false;
      return (pieces, first) =>
        flat(pieces, (p, i) => {
          let s = p.replaceAll(' ', rep);
          const prepend = scheme === 'always' || (scheme === 'first' && first && i === 0);
          if (prepend && !s.startsWith(rep)) s = rep + s;
          return split ? splitByPattern(s, new RegExp(escapeRegExp(rep), 'gu'), 'MergedWithNext') : [s];
        });
    }
    case 'Split': {
      if (spec.invert === true) throw new RhoError('UNSUPPORTED', 'Split pre-tokenizer with invert: true', { field: 'pre_tokenizer' });
      const behavior = spec.behavior as SplitBehavior;
      if (!['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext'].includes(behavior)) {
        throw new RhoError('UNSUPPORTED', `Split behavior ${String(spec.behavior)}`, { field: 'pre_tokenizer.behavior' });
      }
      const re = compilePattern(spec.pattern as PatternSpec, 'pre_tokenizer.pattern');
      return (pieces) => flat(pieces, (p) => splitByPattern(p, re, behavior));
    }
    case 'Digits': {
      const re = spec.individual_digits === true ? /\p{Nd}/gu : /\p{Nd}+/gu;
      return (pieces) => flat(pieces, (p) => splitByPattern(p, re, 'Isolated'));
    }
    case 'Whitespace':
      return (pieces) => flat(pieces, (p) => p.match(/\w+|[^\w\s]+/gu) ?? []);
    case 'WhitespaceSplit':
      return (pieces) => flat(pieces, (p) => p.split(/\s+/u).filter((w) => w.length > 0));
    default:
      throw new RhoError('UNSUPPORTED', `Unknown pre-tokenizer type: ${spec.type}`, { field: 'pre_tokenizer' });
  }
}
