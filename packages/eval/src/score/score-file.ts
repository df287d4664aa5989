import { RhoError } from '@rho/core/base';
import { getDataset, loadRecords } from '../datasets/index.ts';
import { inferFromPath } from '../outputs/layout.ts';
import type { EqualOptions } from '../grader/math-equal.ts';
import { datasetIndex, rescoreSamplesAsync, sandboxRunner, type GraderPolicy, type RescoreResult } from '../rescore/index.ts';
import type { StrictOptions } from '../strict/verify.ts';
import { readScoreInput, type Dedupe } from './score-input.ts';

export const SCORABLE_PROMPT_TYPES = ['cot', 'tora', 'pal', 'direct', 'pot', 'program_only', 'tool-integrated'] as const;

export interface ScoreFileOptions {
  file: string;
  dataDir: string;
  data?: string;
  promptType?: string;
  onRecord?: (done: number, total: number) => void;
  /** Seconds per program when pal programs are re-run. */
  timeoutS?: number;
  /** Grader options (default: the harness's). */
  equal?: EqualOptions;
  /** Which grader decides (default: the harness). */
  grader?: GraderPolicy;
  strict?: Partial<StrictOptions>;
  /** Keep the first or last sample of an idx that appears twice (default: an error). */
  dedupe?: Dedupe;
}

export interface ScoredFile extends RescoreResult {
  file: string;
  data: string;
  promptType: string;
}

/** Dataset records are shared between files of the same dataset in one command. */
const datasetCache = new Map<string, Map<number, Record<string, unknown>>>();

export function resolveScoringTarget(file: string, data?: string, promptType?: string): { data: string; promptType: string } {
  const inferred = inferFromPath(file);
  const d = data ?? inferred.data;
  const p = promptType ?? inferred.promptType;
  if (!d || !p) {
    throw new RhoError('BAD_CONFIG', `cannot tell the ${!d ? 'dataset' : 'prompt type'} of this file from its path`, {
      file,
      hint: 'name it as the harness does (<model>/<data>/test_<prompt>_..._e<end>.jsonl) or pass --data and --prompt-type',
    });
  }
  getDataset(d); // an unknown dataset lists the known ones
  if (!(SCORABLE_PROMPT_TYPES as readonly string[]).includes(p)) {
    throw new RhoError('BAD_CONFIG', `unknown prompt type "${p}"; known: ${SCORABLE_PROMPT_TYPES.join(', ')}`, { file, field: 'prompt type' });
  }
  return { data: d, promptType: p };
}

/** pal predictions are the value of the program's solution(): the programs run again, in the sandbox. */
async function runInSandbox(programs: string[], timeoutS: number) {
  const { Interpreter } = await import('../interpreter/interpreter.ts');
  const interp = new Interpreter({ timeoutS });
  try {
    return await sandboxRunner(interp, timeoutS)(programs);
  } finally {
    await interp.dispose();
  }
}

/**
 * Re-score one outputs file: predictions from `code`, ground truth from the dataset joined on idx.
 * Stored `pred`, `gt` and `score` are never read.
 */
export async function scoreFile(opts: ScoreFileOptions): Promise<ScoredFile> {
  const { data, promptType } = resolveScoringTarget(opts.file, opts.data, opts.promptType);
  const key = `${opts.dataDir}\0${getDataset(data).dir}`;
  let dataset = datasetCache.get(key);
  if (!dataset) {
    dataset = datasetIndex(loadRecords(data, opts.dataDir));
    datasetCache.set(key, dataset);
  }
  const records = readScoreInput(opts.file, dataset, data, opts.dedupe);
  try {
    const result = await rescoreSamplesAsync({
      dataName: data,
      promptType,
      records,
      dataset,
      equal: opts.equal,
      grader: opts.grader,
      strict: opts.strict,
      onRecord: opts.onRecord,
      runPrograms: (programs) => runInSandbox(programs, opts.timeoutS ?? 5),
    });
    return { ...result, file: opts.file, data, promptType };
  } catch (e) {
    if (e instanceof RhoError && !e.context.file) throw new RhoError(e.code, e.message, { ...e.context, file: opts.file }, { cause: e });
    throw e;
  }
}
