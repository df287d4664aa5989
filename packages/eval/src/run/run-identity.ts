/**
 * What produced a run's files, so that a resume never mixes the work of two runs: the model (a
 * checkpoint's fingerprint, or the servers and model name), prompt type, few-shot demos, sampling
 * settings and the dataset file. It heads the journal and is a field of the metrics file (the
 * outputs file itself keeps the Python harness's layout, one sample per line, nothing added).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { RhoError } from '@rho/core/base';
import { datasetFile, getDataset } from '../datasets/index.ts';
import { loadFewShot, type PromptType } from '../prompts/index.ts';
import { pyStrip } from '../normalize/python.ts';

export const RUN_IDENTITY_FORMAT = 'rho-eval-run/1';

export const ModelIdentity = z.union([
  z.strictObject({ kind: z.literal('checkpoint'), fingerprint: z.string() }),
  z.strictObject({ kind: z.literal('server'), urls: z.array(z.string()).min(1), model_name: z.string() }),
  // a model given to runEval in code (tests, scripts): its name is all that is known
  z.strictObject({ kind: z.literal('named'), name: z.string() }),
]);
export type ModelIdentity = z.infer<typeof ModelIdentity>;

export const RunIdentity = z.strictObject({
  format: z.literal(RUN_IDENTITY_FORMAT),
  model: ModelIdentity,
  prompt_type: z.string(),
  few_shot: z.strictObject({ count: z.number().int().nonnegative(), sha256: z.string().nullable() }),
  sampling: z.strictObject({
    temperature: z.number(),
    top_p: z.number(),
    n_sampling: z.number().int().positive(),
    seed: z.number().int(),
    max_tokens: z.number().int().positive(),
  }),
  dataset: z.strictObject({ name: z.string(), sha256: z.string() }),
});
export type RunIdentity = z.infer<typeof RunIdentity>;

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/** The test file's sha256, or for a built-in benchmark with no file, that of its generated records. */
function datasetSha256(data: string, dataDir: string): string {
  const file = datasetFile(dataDir, data);
  if (existsSync(file)) return sha256(readFileSync(file));
  const builtin = getDataset(data).builtin;
  return `builtin:${sha256(JSON.stringify(builtin?.records('test') ?? []))}`;
}

export interface IdentityInputs {
  data: string;
  dataDir: string;
  promptType: PromptType;
  temperature: number;
  topP: number;
  nSampling: number;
  seed: number;
  maxTokens: number;
}

export function runIdentity(cfg: IdentityInputs, model: ModelIdentity): RunIdentity {
  const demos = loadFewShot(cfg.dataDir, cfg.data, cfg.promptType);
  return {
    format: RUN_IDENTITY_FORMAT,
    model,
    prompt_type: cfg.promptType,
    // the harness's demo files separate their demos with blank lines (two or more)
    few_shot: demos ? { count: pyStrip(demos).split(/\n{3,}/).length, sha256: sha256(demos) } : { count: 0, sha256: null },
    sampling: {
      temperature: cfg.temperature,
      // greedy decoding ignores top_p; the harness sends 1 then
      top_p: cfg.temperature === 0 ? 1 : cfg.topP,
      n_sampling: cfg.nSampling,
      seed: cfg.seed,
      max_tokens: cfg.maxTokens,
    },
    dataset: { name: cfg.data, sha256: datasetSha256(cfg.data, cfg.dataDir) },
  };
}

/** The first field (dotted path) in which two identities differ, with both values; undefined when they are the same. */
export function identityDifference(stored: unknown, current: unknown, path = ''): { field: string; stored: unknown; current: unknown } | undefined {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(stored) && isObj(current)) {
    for (const k of [...new Set([...Object.keys(current), ...Object.keys(stored)])]) {
      const d = identityDifference(stored[k], current[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return undefined;
  }
  return JSON.stringify(stored) === JSON.stringify(current) ? undefined : { field: path, stored, current };
}

/**
 * Refuse to resume or reuse `file` when it was produced by another run: one line naming the
 * first field that differs. A file without an identity (written before identities existed, or by
 * hand) is refused too: nothing says what produced it.
 */
export function refuseOtherRun(file: string, stored: unknown, current: RunIdentity): void {
  const hint = 'use --overwrite to replace it, or another --out';
  if (stored === undefined) throw new RhoError('BAD_CONFIG', 'the output holds results with no run identity: nothing says what produced them', { file, hint });
  const parsed = RunIdentity.safeParse(stored);
  const d = identityDifference(parsed.success ? parsed.data : stored, current);
  if (!d) return;
  const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));
  throw new RhoError('BAD_CONFIG', `the output was produced by another run: ${d.field} is ${show(d.stored)} there, ${show(d.current)} here`, {
    file,
    field: d.field,
    hint,
  });
}
