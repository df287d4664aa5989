import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError } from '../errors.ts';
import { writeFileSynced } from '../io/atomic.ts';

/** The checksum file of a checkpoint directory, in `sha256sum` format (`sha256sum -c checksums.sha256` checks it). */
export const CHECKSUMS_FILE = 'checksums.sha256';

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Write checksums.sha256 over every other file of `dir` (fsynced). */
export function writeChecksums(dir: string): void {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== CHECKSUMS_FILE)
    .map((e) => e.name)
    .sort();
  writeFileSynced(join(dir, CHECKSUMS_FILE), names.map((n) => `${sha256File(join(dir, n))}  ${n}\n`).join(''));
}

/**
 * Check a checkpoint directory against its checksums.sha256: every listed file present with its
 * sum, and no file missing from the list. Throws a BAD_INPUT naming the first file that fails.
 */
export function verifyChecksums(dir: string): void {
  const list = join(dir, CHECKSUMS_FILE);
  if (!existsSync(list)) throw new RhoError('BAD_INPUT', `checkpoint has no ${CHECKSUMS_FILE}`, { file: dir });
  const listed = new Map<string, string>();
  readFileSync(list, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line === '') return;
      const m = /^([0-9a-f]{64}) {2}([^/\\]+)$/.exec(line);
      if (!m) throw new RhoError('BAD_INPUT', `malformed checksum line ${i + 1}`, { file: list, line: i + 1 });
      listed.set(m[2]!, m[1]!);
    });
  for (const [name, sum] of listed) {
    const file = join(dir, name);
    if (!existsSync(file)) throw new RhoError('BAD_INPUT', 'checkpoint file listed in its checksums is missing', { file });
    if (sha256File(file) !== sum) throw new RhoError('BAD_INPUT', 'checkpoint file does not match its checksum (damaged or changed)', { file, expected: sum });
  }
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && e.name !== CHECKSUMS_FILE && !listed.has(e.name))
      throw new RhoError('BAD_INPUT', 'file in the checkpoint is not in its checksums', { file: join(dir, e.name) });
  }
}
