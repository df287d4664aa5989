/**
 * Conversions from a public file's form to the form the data directory holds. Each is named in
 * the manifest, and the sha256 there is of the converted bytes, so a conversion that drifts is
 * caught like a corrupted download.
 */
import { RhoError } from '@rho/core/base';
import { pyJsonDumps } from './pyjson.ts';

export type Transform = (bytes: Uint8Array, source: string) => Uint8Array;

/**
 * PromptPG's problems_test1k.json (`{pid: problem}`) → one problem a line, `table_for_pd`
 * dropped (a pandas-ready copy of the table the harness never reads), `pid` appended, lines in
 * numeric pid order, written as Python's json.dumps writes them.
 */
function tabmwpJsonl(bytes: Uint8Array, source: string): Uint8Array {
  let problems: unknown;
  try {
    problems = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new RhoError('BAD_INPUT', `not JSON: ${(e as Error).message}`, { file: source }, { cause: e });
  }
  if (!problems || typeof problems !== 'object' || Array.isArray(problems)) {
    throw new RhoError('BAD_INPUT', 'expected an object of problems keyed by pid', { file: source });
  }
  const entries = Object.entries(problems as Record<string, Record<string, unknown>>);
  entries.sort(([a], [b]) => Number(a) - Number(b));
  const lines = entries.map(([pid, problem]) => {
    const { table_for_pd: _dropped, ...rest } = problem;
    return `${pyJsonDumps({ ...rest, pid })}\n`;
  });
  return Buffer.from(lines.join(''), 'utf8');
}

export const TRANSFORMS: Readonly<Record<string, Transform>> = Object.freeze({
  'tabmwp-jsonl': tabmwpJsonl,
});

export function getTransform(name: string): Transform {
  const t = TRANSFORMS[name];
  if (!t) throw new RhoError('BAD_CONFIG', `unknown transform "${name}"; known: ${Object.keys(TRANSFORMS).join(', ')}`);
  return t;
}
