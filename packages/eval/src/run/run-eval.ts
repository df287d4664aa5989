import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RhoError, writeJsonAtomic, writeJsonlAtomic } from '@rho/core/base';
import type { CompletionModel, SchedulerCounters } from '../backends/types.ts';
import { loadExamples, type Example } from '../datasets/index.ts';
import type { EqualOptions } from '../grader/math-equal.ts';
import { parseGroundTruth } from '../groundtruth/parse.ts';
import type { ExecResult, ProgramExecutor } from '../interpreter/types.ts';
import { pyStrip } from '../normalize/python.ts';
import { formatOutputName, metricsPathFor } from '../outputs/layout.ts';
import { SampleJournal } from '../outputs/journal.ts';
import { refuseOtherRun, runIdentity, type ModelIdentity } from './run-identity.ts';
import { sampleSeed } from './sample-seed.ts';
import { metricsFile, type MetricsFile } from '../outputs/metrics-file.ts';
import { constructPrompt, STOP_WORDS, type PromptType } from '../prompts/index.ts';
import { rescoreSamplesAsync, sandboxRunner, type RescoredRecord } from '../rescore/rescore.ts';
import type { GraderPolicy } from '../rescore/grade-sample.ts';
import type { StrictOptions } from '../strict/verify.ts';
import { runToolLoop } from '../runners/tool-loop.ts';
import { peakRssBytes } from './memory.ts';

export interface RunConfig {
  data: string;
  promptType: PromptType;
  dataDir: string;
  outDir: string;
  /** Keep the first N problems (the harness's num_test_sample; -1 = all). */
  limit: number;
  start: number;
  /** -1 = to the end. */
  end: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  nSampling: number;
  /**
   * Problems per generation round; each is written to the journal as soon as it is graded. With a
   * continuously batching model: problems in flight at once, each its own calls.
   */
  chunkSize: number;
  overwrite?: boolean;
  /** Drop bad journal lines (with a warning) and run their problems again, instead of stopping. */
  repair?: boolean;
  /** What produced the completions, for the run identity (default: the model's name). */
  model?: ModelIdentity;
  /** What ran the model (the engine's one-line description, or the servers), recorded in the metrics. */
  engine?: string;
  /** Grader options (default: the harness's, as `pnpm eval score` uses). */
  equal?: EqualOptions;
  /** Which grader decides (default: the harness), and the strict grader's options. */
  grader?: GraderPolicy;
  strict?: Partial<StrictOptions>;
}

/** A finished problem before grading, as math_eval.py builds it: what the journal keeps. */
export interface GeneratedSample {
  idx: number;
  question: string;
  gt_cot: string;
  gt: string;
  code: string[];
  [field: string]: unknown;
}

/** A graded problem, as the outputs file holds it. */
export type OutputSample = RescoredRecord & GeneratedSample;

export interface RunResult {
  outPath: string;
  metrics: MetricsFile;
  /** The outputs file was already complete: nothing was generated. */
  skipped: boolean;
}

/** The output file of a run, named as the Python harness names it. */
export function outputPathFor(cfg: Pick<RunConfig, 'outDir' | 'data' | 'promptType' | 'limit' | 'seed' | 'temperature' | 'start' | 'end'>): string {
  return join(
    cfg.outDir,
    cfg.data,
    formatOutputName({
      split: 'test',
      promptType: cfg.promptType,
      numTestSample: cfg.limit,
      seed: cfg.seed,
      temperature: cfg.temperature.toFixed(1),
      start: cfg.start,
      end: cfg.end,
    }),
  );
}

/** The harness's selection: the first `limit` problems, then the [start, end) slice. */
export function selectExamples(all: Example[], limit: number, start: number, end: number): Example[] {
  const kept = limit > 0 ? all.slice(0, limit) : all;
  return kept.slice(start, end === -1 ? kept.length : end);
}

/**
 * One dataset under one prompt type: generate (cot: one call; tora/pal: the tool loop), append
 * each problem to a journal as it finishes, then grade them all as `pnpm eval score` does (the
 * same code, so re-scoring the outputs file gives it back byte for byte) and write the outputs
 * file and metrics atomically. Rerunning skips finished problems, so a killed run loses only
 * those in flight; each sample's random stream is named by (seed, dataset, idx, sample number), so
 * the resumed run's completions are the uninterrupted run's. Files of another run (another
 * identity) are refused, never resumed or reported.
 */
export async function runEval(
  model: CompletionModel,
  cfg: RunConfig,
  deps: { executor?: ProgramExecutor; onProgress?: (done: number, total: number) => void; warn?: (line: string) => void } = {},
): Promise<RunResult> {
  const outPath = outputPathFor(cfg);
  const metricsPath = metricsPathFor(outPath, cfg.promptType);
  const journalPath = join(dirname(outPath), `.${basename(outPath)}.partial`);
  const identity = runIdentity(cfg, cfg.model ?? { kind: 'named', name: model.name });
  if (cfg.overwrite) {
    // the old files go first: a kill from here on leaves only this run's journal
    for (const f of [metricsPath, outPath, journalPath]) rmSync(f, { force: true });
  } else if (existsSync(outPath) && existsSync(metricsPath)) {
    const done = readMetrics(metricsPath);
    refuseOtherRun(metricsPath, done['identity'], identity);
    rmSync(journalPath, { force: true }); // left behind by a kill between the final write and cleanup
    return { outPath, metrics: done, skipped: true };
  }

  const examples = selectExamples(loadExamples(cfg.data, cfg.dataDir), cfg.limit, cfg.start, cfg.end);
  const journal = new SampleJournal(journalPath, identity, {
    problems: new Set(examples.map((e) => e.idx)),
    nSampling: cfg.nSampling,
    repair: cfg.repair,
    warn: deps.warn,
  });
  const pending = examples.filter((e) => !journal.has(e.idx));
  const t0 = performance.now();
  let generatedTokens = 0;
  let done = examples.length - pending.length;
  deps.onProgress?.(done, examples.length);
  const promptOf = (e: Example) => constructPrompt(e, cfg.promptType, cfg.dataDir);
  const seedsOf = (e: Example) => Array.from({ length: cfg.nSampling }, (_, k) => sampleSeed(cfg.seed, cfg.data, e.idx, k));
  const before = model.counters?.();
  const finishProblem = (ex: Example, out: Generated, offset: number) => {
    const rows = (xs: ExecResult[][] | undefined) => xs?.slice(offset * cfg.nSampling, (offset + 1) * cfg.nSampling).flat() ?? [];
    journal.append({
      idx: ex.idx,
      code: out.completions.slice(offset * cfg.nSampling, (offset + 1) * cfg.nSampling),
      isolation: [...new Set(rows(out.executions).map((e) => e.isolation))].sort(),
    });
  };
  try {
    // every pending prompt shares the few-shot block: its keys/values once, before any decoding
    if (pending.length > 1) await model.sharePrefix?.(pending.map(promptOf));
    if (model.continuous) {
      // one task per problem, many in flight: the model batches them as they come, and a problem
      // whose program runs in the sandbox leaves the others decoding
      let next = 0;
      let failed: unknown;
      const worker = async () => {
        while (failed === undefined && next < pending.length) {
          const ex = pending[next++]!;
          try {
            const out = await generateChunk(model, Array<string>(cfg.nSampling).fill(promptOf(ex)), seedsOf(ex), cfg, deps.executor);
            generatedTokens += out.tokens;
            finishProblem(ex, out, 0);
            deps.onProgress?.(++done, examples.length);
          } catch (e) {
            failed ??= e;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(cfg.chunkSize, pending.length) }, worker));
      if (failed !== undefined) throw failed;
    } else {
      for (let s = 0; s < pending.length; s += cfg.chunkSize) {
        const chunk = pending.slice(s, s + cfg.chunkSize);
        const out = await generateChunk(
          model,
          chunk.flatMap((e) => Array<string>(cfg.nSampling).fill(promptOf(e))),
          chunk.flatMap(seedsOf),
          cfg,
          deps.executor,
        );
        generatedTokens += out.tokens;
        chunk.forEach((ex, i) => finishProblem(ex, out, i));
        done += chunk.length;
        deps.onProgress?.(done, examples.length);
      }
    }
  } finally {
    journal.close();
  }
  const after = model.counters?.();
  // before grading, as math_eval.py times it
  const seconds = (performance.now() - t0) / 1000;

  // pal: the programs run again, as evaluate.py and `pnpm eval score` run them
  const graded = await rescoreSamplesAsync({
    dataName: cfg.data,
    promptType: cfg.promptType,
    // the samples rebuilt from the dataset around the journal's completions: nothing else is taken from it
    records: examples.map((e) => generatedSample(e, journal.code(e.idx)!, cfg.data)),
    dataset: new Map(examples.map((e) => [e.idx, e.record])),
    equal: cfg.equal,
    grader: cfg.grader,
    strict: cfg.strict,
    runPrograms: deps.executor && sandboxRunner(deps.executor),
  });
  const metrics = metricsFile(graded.metrics, {
    time_use_in_second: +seconds.toFixed(3),
    time_use_in_minute: `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, '0')}`,
    generated_tokens: generatedTokens,
    generated_tokens_per_s: seconds > 0 ? +(generatedTokens / seconds).toFixed(2) : 0,
    model: model.name,
    ...(cfg.engine ? { engine: cfg.engine } : {}),
    // peak of the whole process so far: with several datasets in one run, the later ones include the earlier
    peak_rss_bytes: peakRssBytes(),
    ...(before && after ? schedulerMetrics(before, after) : {}),
    // The sandbox isolation the programs ran under (tora/pal), over every session of a resumed run.
    ...(journal.isolation().length ? { isolation: journal.isolation() } : {}),
    identity,
  });
  writeJsonlAtomic(outPath, graded.records);
  writeJsonAtomic(metricsPath, metrics);
  rmSync(journalPath, { force: true });
  return { outPath, metrics, skipped: false };
}

/** The metrics file of a finished run, named when it is not a JSON object. */
function readMetrics(path: string): MetricsFile {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RhoError('BAD_INPUT', `malformed metrics file: ${(e as Error).message}`, { file: path, hint: 'use --overwrite to run again' });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new RhoError('BAD_INPUT', 'metrics file is not a JSON object', { file: path, hint: 'use --overwrite to run again' });
  return v as MetricsFile;
}

/** What a continuously batching model did for one dataset: prompt tokens computed and served from the prefix, batch occupancy. */
function schedulerMetrics(a: SchedulerCounters, b: SchedulerCounters): Record<string, number> {
  const steps = b.steps - a.steps;
  return {
    prompt_tokens_computed: b.promptTokensComputed - a.promptTokensComputed + (b.prefixTokens - a.prefixTokens),
    prompt_tokens_cached: b.promptTokensCached - a.promptTokensCached,
    mean_batch: steps > 0 ? +((b.rowsInSteps - a.rowsInSteps) / steps).toFixed(2) : 0,
  };
}

interface Generated {
  completions: string[];
  executions?: ExecResult[][];
  tokens: number;
}

async function generateChunk(
  model: CompletionModel,
  prompts: string[],
  seeds: number[],
  cfg: RunConfig,
  executor: ProgramExecutor | undefined,
): Promise<Generated> {
  // Greedy decoding ignores top_p; the harness sends 1 then.
  const topP = cfg.temperature === 0 ? 1 : cfg.topP;
  let tokens = 0;
  const counting: CompletionModel = {
    name: model.name,
    complete: async (p, o) => {
      const res = await model.complete(p, o);
      for (const r of res) tokens += r.tokens ?? 0;
      return res;
    },
  };
  if (cfg.promptType === 'tora' || cfg.promptType === 'pal') {
    if (!executor) throw new Error('tool-integrated runs need an executor');
    const res = await runToolLoop(counting, prompts, executor, {
      mode: cfg.promptType,
      maxTokens: cfg.maxTokens,
      temperature: cfg.temperature,
      topP,
      seed: cfg.seed,
      seeds,
    });
    return { completions: res.map((r) => r.completion), executions: res.map((r) => r.executions), tokens };
  }
  const res = await counting.complete(prompts, {
    stop: [...STOP_WORDS[cfg.promptType]],
    maxTokens: cfg.maxTokens,
    temperature: cfg.temperature,
    topP,
    seed: cfg.seed,
    seeds,
  });
  return { completions: res.map((r) => pyStrip(r.text)), tokens };
}

/**
 * math_eval.py's sample: idx, question, the ground truth as it first reads it, the record's output
 * fields, the completions. Grading later sets gt_cot and gt in their places and appends the rest.
 */
function generatedSample(ex: Example, codes: string[], data: string): GeneratedSample {
  const { gtCot, gt } = parseGroundTruth(ex.record, data);
  return { idx: ex.idx, question: ex.question, gt_cot: gtCot, gt, ...ex.fields, code: codes };
}
