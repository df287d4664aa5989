import { createHash } from 'node:crypto';
import { existsSync, readFileSync, truncateSync } from 'node:fs';
import type { z } from 'zod';
import { RhoError } from '../errors.ts';
import { writeFileAtomic } from './atomic.ts';

/**
 * Journal lines that prove themselves: each is a JSON object whose first member is
 * `"sum":"<16 hex>"`, the first 64 bits of the SHA-256 of the exact bytes after it. A line changed
 * by hand, by a disk or by a bug fails the sum; a line whose sum holds is then checked against a
 * schema, so nothing unvalidated is taken from a journal.
 */
const PREFIX_RE = /^\{"sum":"([0-9a-f]{16})",/;

function sumOf(rest: string): string {
  return createHash('sha256').update(rest, 'utf8').digest('hex').slice(0, 16);
}

/** One journal line (with its newline) for an object with at least one member. */
export function encodeCheckedLine(value: Record<string, unknown>): string {
  const json = JSON.stringify(value);
  if (json === '{}' || !json.startsWith('{')) throw new RhoError('BAD_INPUT', 'a checked line holds a non-empty JSON object', { got: json });
  const rest = json.slice(1);
  return `{"sum":"${sumOf(rest)}",${rest}\n`;
}

/** The object of a checked line (without `sum`), or why it is bad. */
export function decodeCheckedLine<T>(line: string, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; reason: string } {
  const m = PREFIX_RE.exec(line);
  if (!m) return { ok: false, reason: 'no checksum (not a journal line)' };
  const rest = line.slice(m[0].length);
  if (sumOf(rest) !== m[1]) return { ok: false, reason: 'checksum mismatch (the line was changed or damaged)' };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch (e) {
    return { ok: false, reason: `malformed JSON: ${(e as Error).message}` };
  }
  delete parsed['sum'];
  const r = schema.safeParse(parsed);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return { ok: false, reason: `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}` };
  }
  return { ok: true, value: r.data };
}

export interface ReadJournalOptions<T = unknown> {
  /** Drop bad lines (with a warning each) instead of failing on the first. */
  repair?: boolean;
  warn?: (line: string) => void;
  /** What to suggest when a bad line stops the run. */
  hint?: string;
  /** Checks beyond the schema (what the line must be at its place); returns why a line is bad. */
  check?: (value: T, index: number) => string | undefined;
  /**
   * A reader beside the writer (a report over a run in progress): a torn last line is left out of
   * the result but not cut from the file, whose writer may be finishing it.
   */
  readOnly?: boolean;
}

/**
 * Read a journal of checked lines. The last line without its newline is a write torn by a kill:
 * it is cut off quietly (its entry is made again). Any other bad line is an error naming the
 * file and line, or, with `repair`, dropped with a warning and the journal rewritten without it.
 */
export function readCheckedJournal<T>(file: string, schema: z.ZodType<T>, opts: ReadJournalOptions<T> = {}): T[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const keep = text.endsWith('\n') || text === '' ? text.length : text.lastIndexOf('\n') + 1;
  if (keep !== text.length && !opts.readOnly) truncateSync(file, Buffer.byteLength(text.slice(0, keep)));
  const lines = text.slice(0, keep).split('\n');
  lines.pop(); // after the last newline
  const out: T[] = [];
  const good: string[] = [];
  lines.forEach((line, i) => {
    let r = decodeCheckedLine(line, schema);
    const why = r.ok ? opts.check?.(r.value, i) : undefined;
    if (why !== undefined) r = { ok: false, reason: why };
    if (r.ok) {
      out.push(r.value);
      good.push(line);
      return;
    }
    if (!opts.repair || opts.readOnly) {
      throw new RhoError('BAD_INPUT', `bad journal line ${i + 1}: ${r.reason}`, {
        file,
        line: i + 1,
        hint: opts.hint ?? 'rerun with --repair to drop it and generate its entry again',
      });
    }
    opts.warn?.(`warning: ${file}:${i + 1}: dropped a bad journal line (${r.reason}); its entry is made again`);
  });
  if (good.length !== lines.length) writeFileAtomic(file, good.map((l) => `${l}\n`).join(''));
  return out;
}
