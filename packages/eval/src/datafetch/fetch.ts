import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { RhoError, writeFileAtomic } from '@rho/core/base';
import { download, type DownloadOptions } from './download.ts';
import { selectEntries, type Manifest, type ManifestEntry } from './manifest.ts';
import { getTransform } from './transforms.ts';

export interface FetchOptions {
  manifest: Manifest;
  /** The data directory to fill. */
  out: string;
  /** Copy from this folder (laid out like a data directory) instead of downloading. */
  from?: string;
  /** Download `https://host/path` from `<mirror>/host/path` instead. */
  mirror?: string;
  only?: readonly string[];
  /** Fetch again even when a file is already there with the right sha256. */
  force?: boolean;
  download?: DownloadOptions;
  onFile?: (entry: ManifestEntry, outcome: 'fetched' | 'present' | 'failed') => void;
}

export interface FetchFailure {
  path: string;
  error: RhoError;
}

export interface FetchSummary {
  fetched: string[];
  present: string[];
  failed: FetchFailure[];
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether `file` exists with the entry's size and sha256. */
export function hasExpectedContent(file: string, entry: ManifestEntry): boolean {
  return existsSync(file) && statSync(file).size === entry.size && sha256(readFileSync(file)) === entry.sha256;
}

export function mirroredUrl(url: string, mirror?: string): string {
  if (!mirror) return url;
  return `${mirror.replace(/\/+$/, '')}/${url.replace(/^[a-z]+:\/\//, '')}`;
}

function checkBytes(bytes: Uint8Array, entry: ManifestEntry, source: string): void {
  const got = sha256(bytes);
  if (bytes.length !== entry.size || got !== entry.sha256) {
    throw new RhoError(
      'BAD_INPUT',
      `${entry.path}: content does not match the manifest (sha256 ${got.slice(0, 12)}…, ${bytes.length} bytes; ` +
        `expected ${entry.sha256.slice(0, 12)}…, ${entry.size} bytes)`,
      {
        file: source,
        field: entry.path,
        expected: entry.sha256,
        got,
        hint: 'the source is corrupted or a different version; nothing was written for this file',
      },
    );
  }
}

/** Downloads each URL once per run, unzipping archives once too. */
class SourceCache {
  private readonly bodies = new Map<string, Promise<Uint8Array>>();
  private readonly archives = new Map<string, Promise<Record<string, Uint8Array>>>();
  constructor(
    private readonly opts: FetchOptions,
    private readonly members: Map<string, string[]>,
  ) {}

  /** Hosts that could not be reached at all: the rest of their files fail at once, not after retries each. */
  private readonly unreachable = new Map<string, RhoError>();

  body(url: string): Promise<Uint8Array> {
    let p = this.bodies.get(url);
    if (!p) {
      const actual = mirroredUrl(url, this.opts.mirror);
      const host = new URL(actual).host;
      const down = this.unreachable.get(host);
      p = down
        ? Promise.reject(new RhoError('RUNTIME', `skipped ${actual}: ${host} could not be reached before`, { url: actual, hint: down.context.hint }))
        : download(actual, this.opts.download).catch((e: unknown) => {
            // an HTTP status means the host answered; anything else (DNS, refused, timeout) means it did not
            if (e instanceof RhoError && e.context.got === undefined) this.unreachable.set(host, e);
            throw e;
          });
      this.bodies.set(url, p);
    }
    return p;
  }

  archive(url: string): Promise<Record<string, Uint8Array>> {
    let p = this.archives.get(url);
    if (!p) {
      const wanted = this.members.get(url) ?? [];
      p = this.body(url).then((zip) => {
        try {
          return unzipSync(zip, { filter: (f) => wanted.some((m) => memberMatches(f.name, m)) });
        } catch (e) {
          throw new RhoError('BAD_INPUT', `not a readable zip archive: ${(e as Error).message}`, { url }, { cause: e });
        }
      });
      this.archives.set(url, p);
    }
    return p;
  }
}

function memberMatches(name: string, member: string): boolean {
  return name === member || name.endsWith(`/${member}`);
}

async function sourceBytes(entry: ManifestEntry, cache: SourceCache): Promise<{ bytes: Uint8Array; source: string }> {
  const source = entry.member ? `${entry.url}#${entry.member}` : entry.url;
  let bytes: Uint8Array;
  if (entry.member) {
    const files = await cache.archive(entry.url);
    const candidates = Object.keys(files).filter((n) => memberMatches(n, entry.member!));
    if (candidates.length === 0) {
      throw new RhoError('NOT_FOUND', `${entry.path}: no member ${entry.member} in the archive`, { url: entry.url, field: entry.path });
    }
    // several entries may end alike (copies in the archive); the manifest's sha256 picks one
    const match = candidates.find((n) => sha256(files[n]!) === entry.sha256) ?? candidates[0]!;
    bytes = files[match]!;
  } else {
    bytes = await cache.body(entry.url);
  }
  if (entry.transform) bytes = getTransform(entry.transform)(bytes, source);
  return { bytes, source };
}

/**
 * Fill a data directory from the manifest: each file fetched (or copied with `from`), checked
 * against its sha256 and size, then written whole (temp file + rename). A file that fails
 * leaves nothing behind; the others still land, and all failures are reported together.
 */
export async function fetchData(opts: FetchOptions): Promise<FetchSummary> {
  const entries = selectEntries(opts.manifest, opts.only);
  const members = new Map<string, string[]>();
  for (const e of entries) if (e.member) members.set(e.url, [...(members.get(e.url) ?? []), e.member]);
  const cache = new SourceCache(opts, members);
  const summary: FetchSummary = { fetched: [], present: [], failed: [] };
  for (const entry of entries) {
    const dest = join(opts.out, entry.path);
    if (!opts.force && hasExpectedContent(dest, entry)) {
      summary.present.push(entry.path);
      opts.onFile?.(entry, 'present');
      continue;
    }
    try {
      let bytes: Uint8Array;
      let source: string;
      if (opts.from !== undefined) {
        source = join(opts.from, entry.path);
        if (!existsSync(source)) throw new RhoError('NOT_FOUND', `${entry.path}: not in ${opts.from}`, { file: source });
        bytes = readFileSync(source);
      } else {
        ({ bytes, source } = await sourceBytes(entry, cache));
      }
      checkBytes(bytes, entry, source);
      writeFileAtomic(dest, bytes);
      summary.fetched.push(entry.path);
      opts.onFile?.(entry, 'fetched');
    } catch (e) {
      if (!(e instanceof RhoError)) throw e;
      summary.failed.push({ path: entry.path, error: e });
      opts.onFile?.(entry, 'failed');
    }
  }
  return summary;
}

/** The one error for a run with failures: names every failed file, carries the first's context. */
export function failureError(failed: readonly FetchFailure[]): RhoError {
  const first = failed[0]!;
  const lines = failed.map((f) => `  ${f.path}: ${f.error.message}`).join('\n');
  return new RhoError(first.error.code, `${failed.length} file(s) failed:\n${lines}`, { ...first.error.context }, { cause: first.error });
}

export type VerifyStatus = 'ok' | 'missing' | 'mismatch';

/** Each selected manifest file's state in a data directory. */
export function verifyData(dir: string, manifest: Manifest, only: readonly string[] = []): { path: string; status: VerifyStatus }[] {
  return selectEntries(manifest, only).map((entry) => {
    const file = join(dir, entry.path);
    if (!existsSync(file)) return { path: entry.path, status: 'missing' };
    return { path: entry.path, status: hasExpectedContent(file, entry) ? 'ok' : 'mismatch' };
  });
}
