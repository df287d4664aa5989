import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { pidAlive } from './process-identity.ts';

/**
 * A temporary path beside `path`, so the final rename stays on one filesystem. Its name carries the
 * writer's pid so that the next run on the same output can tell a dead writer's leftovers
 * (`removeStaleTemps`) from a live one's.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.tmp`);
}

// `.<name>.<pid>.<stamp>.tmp`, and a replaced checkpoint directory's `<tmp>.old`
const TEMP_RE = /^\..+\.(\d+)\.[0-9a-z]+\.tmp(\.old)?$/;

/** The pid that wrote a temporary made by tempPathFor, or undefined for any other name. */
export function tempWriterPid(name: string): number | undefined {
  const m = TEMP_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Remove, under `dir` (recursively), the temporaries of writers that are no longer running: what a
 * killed run left between writing a file and renaming it into place. Call it while holding the
 * output's lock, so no live writer of this output can be mid-write.
 */
export function removeStaleTemps(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const pid = tempWriterPid(e.name);
      if (pid !== undefined && pid !== process.pid && !pidAlive(pid)) {
        rmSync(p, { recursive: true, force: true });
        removed.push(p);
      } else if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return removed;
}

/** Make a directory's entries (a rename, a new file) durable. Some filesystems refuse; that is not an error. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here (some network and Windows filesystems)
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Write a file and fsync it (no rename: for files inside a temporary directory renamed as a whole). */
export function writeFileSynced(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write a whole file so that readers see either the old content or the new, never a part, even
 * across a kill at any instant: write to a temporary file beside it, fsync, rename over, fsync the
 * directory.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    writeFileSynced(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dirname(path));
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 4)}\n`);
}
