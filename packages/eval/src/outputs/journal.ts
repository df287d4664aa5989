import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseJsonl } from '@rho/core/base';

/**
 * An append-only record of finished samples, so a killed run loses at most the samples in flight.
 * Each sample is one jsonl line written with a single write and fsynced; a line torn by a kill is
 * cut off when the journal is reopened. Duplicates (a sample finished twice around a kill) keep
 * their first occurrence.
 */
export class SampleJournal<T extends { idx: number | string }> {
  private fd: number;
  readonly done = new Map<string, T>();

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      const keep = text.endsWith('\n') ? text.length : text.lastIndexOf('\n') + 1;
      if (keep !== text.length) truncateSync(path, Buffer.byteLength(text.slice(0, keep)));
      for (const row of parseJsonl<T>(text.slice(0, keep), path)) {
        const key = String(row.idx);
        if (!this.done.has(key)) this.done.set(key, row);
      }
    }
    this.fd = openSync(path, 'a');
  }

  has(idx: number | string): boolean {
    return this.done.has(String(idx));
  }

  append(row: T): void {
    const key = String(row.idx);
    if (this.done.has(key)) return;
    writeSync(this.fd, JSON.stringify(row) + '\n');
    fsyncSync(this.fd);
    this.done.set(key, row);
  }

  /** Rows in the order of `order` (the dataset's idx order); rows not in it come last. */
  rows(order?: Array<number | string>): T[] {
    if (!order) return [...this.done.values()];
    const out: T[] = [];
    for (const idx of order) {
      const r = this.done.get(String(idx));
      if (r) out.push(r);
    }
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }

  remove(): void {
    this.close();
    rmSync(this.path, { force: true });
  }
}
