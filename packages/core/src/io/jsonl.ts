import { readFileSync, existsSync } from 'node:fs';
import { RhoError } from '../errors.ts';
import { writeFileAtomic } from './atomic.ts';

/**
 * Parse jsonl text. Blank lines are skipped; a malformed line is an error naming file and line.
 * A final line without a newline that does not parse is treated as a torn write only when
 * `allowTornTail` is set (resumable outputs), otherwise it is an error too.
 */
export function parseJsonl<T = Record<string, unknown>>(text: string, file: string, opts: { allowTornTail?: boolean } = {}): T[] {
  const out: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      const isTail = i === lines.length - 1 && !text.endsWith('\n');
      if (isTail && opts.allowTornTail) break;
      throw new RhoError('BAD_INPUT', `malformed JSON on line ${i + 1}: ${(e as Error).message}`, {
        file,
        line: i + 1,
      });
    }
  }
  return out;
}

export function readJsonl<T = Record<string, unknown>>(file: string, opts: { allowTornTail?: boolean } = {}): T[] {
  if (!existsSync(file)) throw new RhoError('NOT_FOUND', `no such file`, { file });
  return parseJsonl<T>(readFileSync(file, 'utf8'), file, opts);
}

export function toJsonl(rows: readonly unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
}

export function writeJsonlAtomic(file: string, rows: readonly unknown[]): void {
  writeFileAtomic(file, toJsonl(rows));
}
