import { findStop } from '@rho/core/base';

/**
 * The text of a sequence as it grows, released only where it can no longer change: the tail that
 * could begin a stop string is held back (the final text is cut before a stop string, and what was
 * sent cannot be taken back), as is an incomplete UTF-8 character. The pieces sent join to the
 * final text.
 *
 * Decoding is incremental, as vLLM and TGI do it: only the tokens since the last complete
 * character are decoded again (with a few before them, so a decoder that treats a sequence's
 * start specially, like SentencePiece's leading space, sees them mid-text), keeping each step
 * O(1) in the sequence's length.
 */
export class TextStream {
  private text = '';
  private sent = 0;
  /** tokens[prefix..read) were decoded into the end of `text`; tokens from `read` are new. */
  private prefix = 0;
  private read = 0;
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
    const before = this.decode(tokens.slice(this.prefix, this.read));
    const after = this.decode(tokens.slice(this.prefix));
    // an incomplete character: wait for the tokens that complete it
    if (after.length > before.length && !after.endsWith('\uFFFD') && after.startsWith(before)) {
      this.text += after.slice(before.length);
      this.prefix = Math.max(this.read - 4, 0);
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
