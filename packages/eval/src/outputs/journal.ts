import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { encodeCheckedLine, fsyncDir, readCheckedJournal } from '@rho/core/base';
import { refuseOtherRun, RunIdentity } from '../run/run-identity.ts';

/**
 * An append-only record of finished problems, so a killed run loses at most the problems in
 * flight. It holds only what the model produced (idx and completions): everything else in an
 * outputs sample is derived from the dataset again, so nothing a journal says reaches the outputs
 * unchecked. Line 1 is the run's identity; a resume whose identity differs is refused.
 *
 * Each line is a checked line (see core's checked-lines: a checksum, then a schema) written with
 * a single write and fsynced. A line torn by a kill is cut off quietly; any other bad line is an
 * error naming file and line, or with `repair`, dropped with a warning and its problem run again.
 */
export interface JournalEntry {
  idx: number;
  code: string[];
  /** The sandbox isolation its programs ran under (tora/pal), for the metrics of a resumed run. */
  isolation?: string[];
}

export interface JournalOptions {
  /** idx of the problems of this run: a line for any other is bad. */
  problems: ReadonlySet<number>;
  /** Completions per problem. */
  nSampling: number;
  repair?: boolean;
  warn?: (line: string) => void;
}

const lineSchema = (o: JournalOptions) =>
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('identity'), identity: RunIdentity }),
    z.strictObject({
      kind: z.literal('sample'),
      idx: z
        .number()
        .int()
        .refine((i) => o.problems.has(i), 'idx is not a problem of this run'),
      code: z.array(z.string()).length(o.nSampling),
      isolation: z.array(z.string()).optional(),
    }),
  ]);
type Line = z.infer<ReturnType<typeof lineSchema>>;

export class SampleJournal {
  private fd: number;
  private readonly done = new Map<number, JournalEntry>();

  constructor(
    readonly path: string,
    identity: RunIdentity,
    o: JournalOptions,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    let lines: Line[] = readCheckedJournal(path, lineSchema(o), {
      repair: o.repair,
      warn: o.warn,
      check: (v, i) =>
        i === 0 && v.kind !== 'identity' ? 'line 1 is not the run identity' : i > 0 && v.kind === 'identity' ? 'a second run identity' : undefined,
    });
    if (lines.length > 0 && lines[0]!.kind !== 'identity') {
      // only after --repair dropped line 1: without its identity nothing in it can be trusted
      o.warn?.(`warning: ${path}: its identity line was dropped, so all its problems are run again`);
      rmSync(path);
      lines = [];
    }
    const head = lines[0];
    if (head?.kind === 'identity') refuseOtherRun(path, head.identity, identity);
    for (const l of lines)
      if (l.kind === 'sample' && !this.done.has(l.idx)) this.done.set(l.idx, { idx: l.idx, code: l.code, ...(l.isolation ? { isolation: l.isolation } : {}) });
    const fresh = !existsSync(path) || lines.length === 0;
    this.fd = openSync(path, fresh ? 'w' : 'a');
    if (fresh) {
      this.write({ kind: 'identity', identity });
      fsyncDir(dirname(path));
    }
  }

  has(idx: number): boolean {
    return this.done.has(idx);
  }

  /** The completions of a finished problem. */
  code(idx: number): string[] | undefined {
    return this.done.get(idx)?.code;
  }

  /** Every isolation level the finished problems' programs ran under, sorted. */
  isolation(): string[] {
    return [...new Set([...this.done.values()].flatMap((e) => e.isolation ?? []))].sort();
  }

  append(e: JournalEntry): void {
    if (this.done.has(e.idx)) return;
    this.write({ kind: 'sample', idx: e.idx, code: e.code, ...(e.isolation?.length ? { isolation: e.isolation } : {}) });
    this.done.set(e.idx, e);
  }

  private write(line: Line): void {
    // one write call per line where the system allows: a kill tears at most the last line
    const buf = Buffer.from(encodeCheckedLine(line), 'utf8');
    for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off, buf.length - off);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
