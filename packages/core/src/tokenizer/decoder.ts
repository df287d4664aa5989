import { RhoError } from '../errors.ts';
import { fromByteChars } from './bytelevel.ts';
import { compilePattern, type PatternSpec } from './regex.ts';

/** Token strings → text pieces (joined by the caller), as a Hugging Face decoder chain does. */
export type Decoder = (tokens: string[]) => string[];
type Spec = { type: string; [k: string]: unknown };

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export function buildDecoder(spec: Spec | null | undefined): Decoder {
  if (spec == null) return (t) => t;
  switch (spec.type) {
    case 'Sequence': {
      const parts = (spec.decoders as Spec[]).map(buildDecoder);
      return (tokens) => parts.reduce((acc, f) => f(acc), tokens);
    }
    case 'Replace': {
      const re = compilePattern(spec.pattern as PatternSpec, 'decoder.pattern');
      const content = String(spec.content);
      return (tokens) => tokens.map((t) => t.replace(re, () => content));
    }
    case 'ByteFallback':
      return byteFallback;
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    case 'Strip': {
      const content = String(spec.content);
      const start = Number(spec.start ?? 0);
      const stop = Number(spec.stop ?? 0);
      return (tokens) => tokens.map((t) => strip(t, content, start, stop));
    }
    case 'ByteLevel':
      return (tokens) => [fromByteChars(tokens)];
    case 'Metaspace': {
      const rep = String(spec.replacement ?? '▁');
      const scheme = (spec.prepend_scheme as string | undefined) ?? (spec.add_prefix_space === false ? 'never' : 'always');
      return (tokens) =>
        tokens.map((t, i) => {
          const s = t.replaceAll(rep, ' ');
          return i === 0 && scheme !== 'never' && s.startsWith(' ') ? s.slice(1) : s;
        });
    }
    default:
      throw new RhoError('UNSUPPORTED', `Unknown decoder type: ${spec.type}`, { field: 'decoder' });
  }
}

/**
 * Runs of `<0xNN>` tokens become the text their bytes spell; a run that is not valid UTF-8 gives
 * one U+FFFD per byte (Hugging Face's rule, so a half-generated character shows as such).
 */
function byteFallback(tokens: string[]): string[] {
  const out: string[] = [];
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length === 0) return;
    try {
      out.push(utf8Strict.decode(new Uint8Array(bytes)));
    } catch {
      for (let k = 0; k < bytes.length; k++) out.push('\uFFFD');
    }
    bytes = [];
  };
  for (const t of tokens) {
    const m = BYTE_TOKEN.exec(t);
    if (m) {
      bytes.push(parseInt(m[1]!, 16));
    } else {
      flush();
      out.push(t);
    }
  }
  flush();
  return out;
}

/** Remove up to `start` leading and `stop` trailing copies of `content` (one character). */
function strip(t: string, content: string, start: number, stop: number): string {
  const chars = Array.from(t);
  let a = 0;
  while (a < start && a < chars.length && chars[a] === content) a++;
  let b = chars.length;
  while (chars.length - b < stop && b > a && chars[b - 1] === content) b--;
  return chars.slice(a, b).join('');
}
