/**
 * The sequences a server holds at once, running in the batch or waiting for a row: each a prompt's
 * choice, so a request holds prompts × n of them. A request counts as one from its first byte (its
 * body may be megabytes) until its choices are known. Taking is all or nothing, so what is held
 * never passes `capacity`, and a refused request holds nothing.
 */
export class SequenceSlots {
  private held = 0;

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.held;
  }

  /** Takes `n` slots if they are free. */
  tryTake(n: number): boolean {
    if (this.held + n > this.capacity) return false;
    this.held += n;
    return true;
  }

  release(n: number): void {
    this.held = Math.max(0, this.held - n);
  }
}
