import { findStop } from '@rho/core/base';

/**
 * The text of a sequence as it grows, released only where it can no longer change: the tail that
 * could begin a stop string is held back (the final text is cut before a stop string, and what was
 * sent cannot be taken back), as is an incomplete UTF-8 character. The pieces sent join to the
 * final text.
 */
export class TextStream {
  private sent = 0;
  private readonly hold: number;

  constructor(
    private readonly decode: (ids: number[]) => string,
    private readonly stops: readonly string[],
  ) {
    this.hold = Math.max(0, ...stops.map((s) => s.length - 1));
  }

  /** What can be sent now that the sequence has these tokens. */
  push(tokens: number[]): string {
    let text = this.decode(tokens);
    while (text.endsWith('\uFFFD')) text = text.slice(0, -1);
    let end = text.length - this.hold;
    const at = findStop(text, this.stops);
    if (at >= 0) end = Math.min(end, at);
    if (end <= this.sent) return '';
    const piece = text.slice(this.sent, end);
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
