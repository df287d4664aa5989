import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LlamaModel, makeConfig, readJsonl, saveCheckpoint, trainBpe, writeJsonAtomic, type HfLlamaConfig } from '@rho/core';
import { buildReport, DEFAULT_REPORT } from '../report/build.ts';
import { finalVal, firstReaching } from '../report/summary.ts';
import { scoreSplit } from '../score/run.ts';
import { localScorer } from '../score/remote.ts';
import { Corpus } from '../shards/corpus.ts';
import { corpusExists, prepareCorpus } from '../shards/prepare.ts';
import { shuffledOrder } from '../shards/windows.ts';
import { loadTokenizer } from '../shards/tokenizer.ts';
import { noiseRejection, type StepRow } from '../trainer/metrics.ts';
import { runTraining, type TrainOptions } from '../trainer/run.ts';
import { injectNoise } from './noise.ts';
import type { Recipe } from './recipe.ts';

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
  seconds: number;
}

export interface ExperimentOptions {
  recipe: Recipe;
  dataDir: string;
  out: string;
  report: boolean;
  log?: (line: string) => void;
}

/**
 * The experiment of issue 7, each stage resumable (prepared corpora, runs and scores already on
 * disk are reused): split GSM8K into reference / training / validation documents, inject noise
 * into the training documents, train the reference on clean data, score the noisy corpus, train
 * clm and slm from the same initialisation, compare.
 */
export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const { preset: p, recipe } = { preset: o.recipe.preset, recipe: o.recipe };
  const out = resolve(o.out);
  const data = join(out, 'data');
  mkdirSync(data, { recursive: true });

  // 1. Disjoint document sets, drawn in a seeded order.
  const rows = readJsonl(join(o.dataDir, recipe.source));
  const order = shuffledOrder(rows.length, p.seed);
  const take = (from: number, n: number) => order.slice(from, from + n).map((i) => rows[i]!);
  const textOf = (r: Record<string, unknown>) => recipe.fields.map((f) => String(r[f] ?? '')).join('\n');
  const refDocs = take(0, p.docs.reference);
  const trainDocs = take(p.docs.reference, p.docs.train);
  const valDocs = take(p.docs.reference + p.docs.train, p.docs.val);
  const files = { ref: join(data, 'reference.jsonl'), train: join(data, 'train-noisy.jsonl'), val: join(data, 'val.jsonl') };
  writeFileSync(files.ref, refDocs.map((r) => JSON.stringify({ text: textOf(r) })).join('\n') + '\n');
  writeFileSync(files.val, valDocs.map((r) => JSON.stringify({ text: textOf(r) })).join('\n') + '\n');
  writeFileSync(
    files.train,
    trainDocs
      .map((r, i) => {
        const d = injectNoise(textOf(r), p.noise, i);
        return JSON.stringify({ text: d.text, noise_spans: d.noise });
      })
      .join('\n') + '\n',
  );

  // 2. Tokenizer and the two prepared corpora (same validation documents).
  let tokSpec = 'bytes';
  if (p.tokenizer !== 'bytes') {
    tokSpec = join(out, 'tokenizer.json');
    if (!existsSync(tokSpec)) writeJsonAtomic(tokSpec, trainBpe(refDocs.map(textOf), { vocabSize: p.tokenizer.bpeVocab }));
  }
  const tok = await loadTokenizer(tokSpec);
  const refCorpus = join(out, 'corpus-reference');
  const noisyCorpus = join(out, 'corpus-noisy');
  for (const [dir, input] of [[refCorpus, files.ref], [noisyCorpus, files.train]] as const) {
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
    await saveCheckpoint(init, model, tok.path ? { tokenizerJsonPath: tok.path } : {});
    model.dispose();
  }

  const base = (r: Recipe['preset']['train'], mode: 'clm' | 'slm', corpus: string, outDir: string, refScores: string | null): TrainOptions => ({
    mode,
    init,
    corpus,
    out: outDir,
    refScores,
    select: { ratio: mode === 'slm' ? p.ratio : 1, selectBy: p.selectBy, reweight: p.reweight },
    seed: p.seed,
    ...r,
  });
  const train = async (opts: TrainOptions, label: string): Promise<StepRow[]> => {
    const t = performance.now();
    const r = await runTraining(opts);
    r.model.dispose();
    log(`${label}: ${r.rows.length} steps, final val loss ${finalVal(r.rows)?.toFixed(4)} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    return r.rows;
  };

  // 4. Reference on clean data, then its loss for every token of the noisy corpus.
  const runs = join(out, 'runs');
  const refRows = await train(base(p.reference, 'clm', refCorpus, join(runs, 'reference'), null), 'reference');
  const refFinal = join(runs, 'reference', 'checkpoints', `step-${String(p.reference.steps).padStart(8, '0')}`);
  const scores = join(out, 'scores');
  {
    const corpus = Corpus.open(noisyCorpus);
    const { loadCheckpoint } = await import('@rho/core');
    const { model } = await loadCheckpoint(refFinal);
    try {
      await scoreSplit(localScorer(model), { corpus, split: 'train', out: scores, seqLen: p.train.seqLen, batchSize: p.train.batchSize, dtype: p.scoreDtype, shardWindows: 64, reference: refFinal });
    } finally {
      model.dispose();
      corpus.dispose();
    }
    log('scored the noisy corpus with the reference');
  }

  // 5. clm and slm from the same initialisation, same steps, same data order.
  const clmRows = await train(base(p.train, 'clm', noisyCorpus, join(runs, 'clm'), null), 'clm');
  const slmRows = await train(base(p.train, 'slm', noisyCorpus, join(runs, 'slm'), scores), `slm (ratio ${p.ratio})`);

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
    await buildReport({ runs: [join(runs, 'reference'), join(runs, 'clm'), join(runs, 'slm')], out: report, ...DEFAULT_REPORT });
    log(`wrote ${report}`);
  }
  return {
    preset: recipe.presetName,
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
    seconds: (performance.now() - t0) / 1000,
  };
}
