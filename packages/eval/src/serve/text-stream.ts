import { findStop } from '@rho/core/base';

/** Tokens the decoded window spans at most before its start moves up (to 4 before the newest read). */
const WINDOW = 16;

/**
 * The text of a sequence as it grows, released only where it can no longer change: the tail that
 * could begin a stop string is held back (the final text is cut before a stop string, and what was
 * sent cannot be taken back), as is an incomplete UTF-8 character. The pieces sent join to the
 * final text.
 *
 * Decoding is incremental, as vLLM and TGI do it: only a short window of the newest tokens is
 * decoded again (starting a few tokens back, so a decoder that treats a sequence's start
 * specially, like SentencePiece's leading space, sees them mid-text), keeping each step O(1) in
 * the sequence's length. The window's start stays put for up to WINDOW tokens, so the text of the
 * tokens already read is the previous step's decode, kept: one decode a token, not two (a
 * server streaming 16 sequences does this 16 times a step).
 */
export class TextStream {
  private text = '';
  private sent = 0;
  /** tokens[prefix..read) were decoded into the end of `text`; tokens from `read` are new. */
  private prefix = 0;
  private read = 0;
  /** decode(tokens[prefix..read)), once known. */
  private readText: string | null = '';
  private readonly hold: number;
  private readonly longest: number;

  constructor(
    private readonly decode: (ids: number[]) => string,
    private readonly stops: readonly string[],
  ) {
    this.longest = Math.max(0, ...stops.map((s) => s.length));
    this.hold = Math.max(0, this.longest - 1);
  }

  /** What can be sent now that the sequence has these tokens. */
  push(tokens: number[]): string {
    const before = this.readText ?? this.decode(tokens.slice(this.prefix, this.read));
    this.readText = before;
    const after = this.decode(tokens.slice(this.prefix));
    // an incomplete character: wait for the tokens that complete it
    if (after.length > before.length && !after.endsWith('\uFFFD') && after.startsWith(before)) {
      this.text += after.slice(before.length);
      if (tokens.length - this.prefix > WINDOW) {
        this.prefix = Math.max(this.read - 4, 0);
        this.readText = null;
      } else this.readText = after;
      this.read = tokens.length;
    }
    let end = this.text.length - this.hold;
    // only the new tail can hold a stop string the earlier text did not
    const from = Math.max(0, this.sent - this.longest);
    const at = findStop(this.text.slice(from), this.stops);
    if (at >= 0) end = Math.min(end, from + at);
    if (end <= this.sent) return '';
    const piece = this.text.slice(this.sent, end);
    this.sent = end;
    return piece;
  }

  /** The rest, once the final text is known. */
  finish(final: string): string {
    const piece = final.slice(this.sent);
    this.sent = final.length;
    return piece;
  }
}
