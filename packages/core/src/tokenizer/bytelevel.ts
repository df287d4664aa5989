/**
 * GPT-2's reversible byte ↔ printable-character map: byte-level BPE works on strings whose
 * characters each stand for one byte, so no byte (space, newline, control, UTF-8 fragment) is
 * invisible in the vocabulary.
 */
function buildByteToChar(): string[] {
  const keep: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
  for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
  for (let b = 0xae; b <= 0xff; b++) keep.push(b);
  const out = new Array<string>(256);
  const kept = new Set(keep);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    out[b] = kept.has(b) ? String.fromCharCode(b) : String.fromCharCode(256 + n++);
  }
  return out;
}

export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const utf8 = new TextEncoder();
const utf8Lossy = new TextDecoder('utf-8', { fatal: false });

/** Text → its UTF-8 bytes, each written as its byte-level character. */
export function toByteChars(text: string): string {
  // Most words are ASCII: map their code units directly and spare the UTF-8 encoder's allocation.
  let s = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return toByteCharsUtf8(text);
    s += BYTE_TO_CHAR[c]!;
  }
  return s;
}

function toByteCharsUtf8(text: string): string {
  let s = '';
  for (const b of utf8.encode(text)) s += BYTE_TO_CHAR[b]!;
  return s;
}

/**
 * Byte-level characters → text. A token holding a character outside the map (an added token
 * written verbatim) contributes its own UTF-8 bytes, as the Hugging Face decoder does; invalid
 * UTF-8 becomes U+FFFD.
 */
export function fromByteChars(tokens: readonly string[]): string {
  return utf8Lossy.decode(Buffer.concat(tokens.map(bytesOfToken)));
}

// decoding runs once per generated token while streaming: each vocabulary entry is mapped once
const TOKEN_BYTES = new Map<string, Uint8Array>();

function bytesOfToken(t: string): Uint8Array {
  let bytes = TOKEN_BYTES.get(t);
  if (!bytes) {
    const mapped = Array.from(t, (ch) => CHAR_TO_BYTE.get(ch));
    bytes = mapped.every((b) => b !== undefined) ? Uint8Array.from(mapped as number[]) : utf8.encode(t);
    TOKEN_BYTES.set(t, bytes);
  }
  return bytes;
}

/** GPT-2's pre-tokenization pattern (contractions, letters, numbers, other, whitespace runs). */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
