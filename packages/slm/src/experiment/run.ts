import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LlamaModel, makeConfig, readJsonl, saveCheckpoint, trainBpe, writeFileAtomic, writeJsonAtomic, type HfLlamaConfig } from '@rho/core';
import { buildReport, DEFAULT_REPORT } from '../report/build.ts';
import { finalVal, firstReaching } from '../report/summary.ts';
import { scoreSplit } from '../score/run.ts';
import { localScorer } from '../score/local-scorers.ts';
import { Corpus } from '../shards/corpus.ts';
import { corpusExists, prepareCorpus } from '../shards/prepare.ts';
import { shuffledOrder } from '../shards/windows.ts';
import { loadTokenizer, writeByteTokenizerJson } from '../shards/tokenizer.ts';
import { noiseRejection, type StepRow } from '../trainer/metrics.ts';
import { CHECKPOINTS_DIR, runTraining, stepDirName, type TrainOptions } from '../trainer/run.ts';
import { injectNoise } from './noise.ts';
import type { Preset, Recipe } from './recipe.ts';

export interface ExperimentResult {
  preset: string;
  reference_val_loss: number | null;
  clm_val_loss: number | null;
  slm_val_loss: number | null;
  /** First step at which slm's validation loss is at or below clm's final one (null: never). */
  slm_step_to_clm_final: number | null;
  steps: number;
  speedup: number | null;
  noise_precision: number | null;
  noise_recall: number | null;
  noise_share: number | null;
  report: string | null;
  /** Each run's directory (metrics.jsonl, run.json, checkpoints/) and its final checkpoint. */
  runs: Record<ExperimentRun, string>;
  checkpoints: Record<ExperimentRun, string>;
  valLoss: Record<ExperimentRun, number | null>;
  seconds: number;
}

export type ExperimentRun = 'reference' | 'clm' | 'slm';

export interface ExperimentDocs {
  /** Clean documents the reference model trains on (and the BPE tokenizer is learnt from). */
  reference: string[];
  /** Documents that get noise injected: the corpus clm and slm train on. */
  train: string[];
  /** Clean held-out documents for every run's validation loss. */
  val: string[];
}

export interface ExperimentOptions {
  preset: Preset;
  presetName: string;
  docs: ExperimentDocs;
  out: string;
  report: boolean;
  log?: (line: string) => void;
  onStep?: (run: ExperimentRun, row: StepRow, steps: number) => void;
}

/** The recipe's GSM8K documents: disjoint reference / training / validation sets in a seeded order. */
export function recipeDocuments(recipe: Recipe, dataDir: string): ExperimentDocs {
  const p = recipe.preset;
  const rows = readJsonl(join(dataDir, recipe.source));
  const order = shuffledOrder(rows.length, p.seed);
  const textOf = (r: Record<string, unknown>) => recipe.fields.map((f) => String(r[f] ?? '')).join('\n');
  const take = (from: number, n: number) => order.slice(from, from + n).map((i) => textOf(rows[i]!));
  return { reference: take(0, p.docs.reference), train: take(p.docs.reference, p.docs.train), val: take(p.docs.reference + p.docs.train, p.docs.val) };
}

/**
 * The SLM experiment, each stage resumable (prepared corpora, runs and scores already on disk are
 * reused): inject noise into the training documents, train the reference on clean data, score
 * the noisy corpus, train clm and slm from the same initialisation, compare.
 */
export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const p = o.preset;
  const out = resolve(o.out);
  const data = join(out, 'data');
  mkdirSync(data, { recursive: true });

  // 1. The three document sets on disk, noise spans recorded.
  const files = { ref: join(data, 'reference.jsonl'), train: join(data, 'train-noisy.jsonl'), val: join(data, 'val.jsonl') };
  const lines = (docs: string[]) => `${docs.map((text) => JSON.stringify({ text })).join('\n')}\n`;
  writeFileAtomic(files.ref, lines(o.docs.reference));
  writeFileAtomic(files.val, lines(o.docs.val));
  writeFileAtomic(
    files.train,
    `${o.docs.train
      .map((text, i) => {
        const d = injectNoise(text, p.noise, i);
        return JSON.stringify({ text: d.text, noise_spans: d.noise });
      })
      .join('\n')}\n`,
  );

  // 2. Tokenizer and the two prepared corpora (same validation documents). Bytes need no file to
  // tokenize the corpora, but every checkpoint needs a tokenizer.json to be evaluated on its own.
  let tokSpec = 'bytes';
  const tokenizerJson = join(out, 'tokenizer.json');
  if (p.tokenizer !== 'bytes') {
    tokSpec = tokenizerJson;
    if (!existsSync(tokSpec)) writeJsonAtomic(tokSpec, trainBpe(o.docs.reference, { vocabSize: p.tokenizer.bpeVocab, splitDigits: p.tokenizer.splitDigits }));
  } else {
    writeByteTokenizerJson(tokenizerJson);
  }
  const tok = await loadTokenizer(tokSpec);
  const refCorpus = join(out, 'corpus-reference');
  const noisyCorpus = join(out, 'corpus-noisy');
  for (const [dir, input] of [
    [refCorpus, files.ref],
    [noisyCorpus, files.train],
  ] as const) {
    if (!corpusExists(dir)) prepareCorpus({ inputs: [input], fields: ['text'], out: dir, tokenizer: tok, val: files.val, valFraction: 0, seed: p.seed });
  }
  log(`prepared ${p.docs.reference} reference, ${p.docs.train} noisy training and ${p.docs.val} validation documents`);

  // 3. One initialisation for every run.
  const init = join(out, 'init');
  if (!existsSync(join(init, 'config.json'))) {
    const config = makeConfig({
      tie_word_embeddings: false,
      ...(p.model as Record<string, unknown>),
      vocab_size: tok.tokenizer.vocabSize,
      max_position_embeddings: Math.max(p.reference.seqLen, p.train.seqLen),
      bos_token_id: tok.tokenizer.bosId ?? undefined,
      eos_token_id: tok.tokenizer.eosId ?? undefined,
    } as HfLlamaConfig);
    const model = LlamaModel.init(config, p.seed);
    await saveCheckpoint(init, model, { tokenizerJsonPath: tokenizerJson });
    model.dispose();
  } else if (!existsSync(join(init, 'tokenizer.json'))) {
    // an initialisation written before byte-level checkpoints carried one
    copyFileSync(tokenizerJson, join(init, 'tokenizer.json'));
  }

  const base = (r: Preset['train'], mode: 'clm' | 'slm', corpus: string, outDir: string, refScores: string | null): TrainOptions => ({
    mode,
    init,
    corpus,
    out: outDir,
    refScores,
    select: { ratio: mode === 'slm' ? p.ratio : 1, selectBy: p.selectBy, reweight: p.reweight },
    seed: p.seed,
    ...r,
  });
  const train = async (opts: TrainOptions, run: ExperimentRun, label: string): Promise<StepRow[]> => {
    const t = performance.now();
    const r = await runTraining({ ...opts, onStep: (row) => o.onStep?.(run, row, opts.steps) });
    r.model.dispose();
    log(`${label}: ${r.rows.length} steps, final val loss ${finalVal(r.rows)?.toFixed(4)} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    return r.rows;
  };

  // 4. Reference on clean data, then its loss for every token of the noisy corpus.
  const runs = join(out, 'runs');
  const runDirs: Record<ExperimentRun, string> = { reference: join(runs, 'reference'), clm: join(runs, 'clm'), slm: join(runs, 'slm') };
  const finalCheckpoint = (run: ExperimentRun, steps: number) => join(runDirs[run], CHECKPOINTS_DIR, stepDirName(steps));
  const refRows = await train(base(p.reference, 'clm', refCorpus, runDirs.reference, null), 'reference', 'reference');
  const refFinal = finalCheckpoint('reference', p.reference.steps);
  const scores = join(out, 'scores');
  {
    const corpus = Corpus.open(noisyCorpus);
    const { loadCheckpoint } = await import('@rho/core');
    const { model } = await loadCheckpoint(refFinal);
    try {
      await scoreSplit(localScorer(model), {
        corpus,
        split: 'train',
        out: scores,
        seqLen: p.train.seqLen,
        batchSize: p.train.batchSize,
        dtype: p.scoreDtype,
        shardWindows: 64,
        reference: refFinal,
      });
    } finally {
      model.dispose();
      corpus.dispose();
    }
    log('scored the noisy corpus with the reference');
  }

  // 5. clm and slm from the same initialisation, same steps, same data order.
  const clmRows = await train(base(p.train, 'clm', noisyCorpus, runDirs.clm, null), 'clm', 'clm');
  const slmRows = await train(base(p.train, 'slm', noisyCorpus, runDirs.slm, scores), 'slm', `slm (ratio ${p.ratio}, ${p.selectBy})`);

  const clmFinal = finalVal(clmRows);
  const reach = clmFinal === null ? null : firstReaching(slmRows, clmFinal);
  const rejection = noiseRejection(slmRows);
  let noiseTokens = 0;
  let allTokens = 0;
  for (const r of slmRows) {
    noiseTokens += r.noise ?? 0;
    allTokens += r.tokens;
  }
  let report: string | null = null;
  if (o.report) {
    report = join(out, 'report.html');
    await buildReport({ runs: [runDirs.reference, runDirs.clm, runDirs.slm], out: report, ...DEFAULT_REPORT });
    log(`wrote ${report}`);
  }
  return {
    preset: o.presetName,
    reference_val_loss: finalVal(refRows),
    clm_val_loss: clmFinal,
    slm_val_loss: finalVal(slmRows),
    slm_step_to_clm_final: reach?.step ?? null,
    steps: p.train.steps,
    speedup: reach ? p.train.steps / reach.step : null,
    noise_precision: rejection?.precision ?? null,
    noise_recall: rejection?.recall ?? null,
    noise_share: allTokens ? noiseTokens / allTokens : null,
    report,
    runs: runDirs,
    checkpoints: { reference: refFinal, clm: finalCheckpoint('clm', p.train.steps), slm: finalCheckpoint('slm', p.train.steps) },
    valLoss: { reference: finalVal(refRows), clm: clmFinal, slm: finalVal(slmRows) },
    seconds: (performance.now() - t0) / 1000,
  };
}
