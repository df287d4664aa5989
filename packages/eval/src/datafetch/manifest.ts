import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { REPO_ROOT, RhoError } from '@rho/core/base';

export const DEFAULT_MANIFEST = resolve(REPO_ROOT, 'data/manifest.json');

const entrySchema = z.strictObject({
  /** Where the file lives, relative to the data directory. */
  path: z.string().regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$)).+$/, 'a relative path inside the data directory'),
  /** What `--only` selects it by: a dataset name, `prompts`, `corpus`, `reference-outputs`. */
  group: z.string().min(1),
  /** Its public source. */
  url: z.string().url(),
  /** A member of the downloaded zip archive, matched against the end of entry names. */
  member: z.string().min(1).optional(),
  /** A conversion from the source's form (see transforms.ts). */
  transform: z.string().min(1).optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});

const manifestSchema = z.looseObject({ files: z.array(entrySchema).min(1) });

export type ManifestEntry = z.infer<typeof entrySchema>;
export type Manifest = z.infer<typeof manifestSchema>;

export function loadManifest(file: string = DEFAULT_MANIFEST): Manifest {
  if (!existsSync(file)) throw new RhoError('NOT_FOUND', 'no manifest', { file });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RhoError('BAD_INPUT', `manifest is not JSON: ${(e as Error).message}`, { file }, { cause: e });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RhoError('BAD_INPUT', `bad manifest: ${issue?.message}`, { file, field: issue?.path.join('.') });
  }
  return parsed.data;
}

export function manifestGroups(m: Manifest): string[] {
  return [...new Set(m.files.map((f) => f.group))].sort();
}

/** The entries named by `--only` (groups or exact paths); all when `only` is empty. */
export function selectEntries(m: Manifest, only: readonly string[] = []): ManifestEntry[] {
  if (only.length === 0) return m.files;
  const groups = new Set(manifestGroups(m));
  const paths = new Set(m.files.map((f) => f.path));
  const unknown = only.filter((n) => !groups.has(n) && !paths.has(n));
  if (unknown.length > 0) {
    throw new RhoError('BAD_CONFIG', `unknown name(s) in --only: ${unknown.join(', ')}; known: ${[...groups].join(', ')}`, {
      field: 'only',
      got: unknown,
      expected: [...groups],
    });
  }
  return m.files.filter((f) => only.includes(f.group) || only.includes(f.path));
}
