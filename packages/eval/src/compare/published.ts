import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { REPO_ROOT, RhoError } from '@rho/core/base';

/** Published accuracy tables, one JSON file per model in data/published/, each number with its source. */
export const PUBLISHED_DIR = resolve(REPO_ROOT, 'data/published');

const Source = z.object({ url: z.string(), section: z.string().optional(), table: z.string().optional() }).strict();
export const PublishedTable = z
  .object({
    model: z.string(),
    prompt_type: z.string(),
    note: z.string().optional(),
    rows: z.record(z.string(), z.object({ acc: z.number(), source: Source }).strict()),
  })
  .strict();
export type PublishedTable = z.infer<typeof PublishedTable>;

export function listPublished(): string[] {
  return existsSync(PUBLISHED_DIR)
    ? readdirSync(PUBLISHED_DIR)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5))
        .sort()
    : [];
}

/** A table by name (data/published/<name>.json) or by path. */
export function loadPublished(nameOrPath: string): PublishedTable {
  const path = nameOrPath.endsWith('.json') ? resolve(nameOrPath) : join(PUBLISHED_DIR, `${nameOrPath}.json`);
  if (!existsSync(path)) {
    throw new RhoError('NOT_FOUND', `no published table "${nameOrPath}"; known: ${listPublished().join(', ')}`, { file: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RhoError('BAD_INPUT', `not JSON: ${(e as Error).message}`, { file: path });
  }
  const parsed = PublishedTable.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RhoError('BAD_INPUT', `published table does not fit the schema: ${issue.message}`, { file: path, field: issue.path.join('.') });
  }
  return parsed.data;
}

/**
 * The published row a dataset's result sits beside. Outputs name the MATH-500 subset
 * `minerva_math`; tables report MATH, so that pairing is flagged as a different test set.
 */
export function publishedRowFor(table: PublishedTable, data: string): { key: string; acc: number; url: string; differentSet: boolean } | undefined {
  const direct = table.rows[data];
  if (direct) return { key: data, acc: direct.acc, url: direct.source.url, differentSet: false };
  if (data === 'minerva_math' && table.rows['math'])
    return { key: 'math', acc: table.rows['math'].acc, url: table.rows['math'].source.url, differentSet: true };
  return undefined;
}
