import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, LlamaModel, loadCheckpoint, makeConfig, RhoError, saveCheckpoint, Tokenizer } from '@rho/core';
import { BYTE_LLAMA_CONFIG } from '@rho/core/testing/byte-llama';
import { scoreSplit } from '../score/run.ts';
import { localScorer } from '../score/local-scorers.ts';
import { Corpus } from '../shards/corpus.ts';
import { prepareCorpus } from '../shards/prepare.ts';
import { ByteTokenizer, loadTokenizer } from '../shards/tokenizer.ts';
import { listCheckpoints, runTraining, type TrainOptions } from './run.ts';
import type { StepRow } from './metrics.ts';

const tmp = mkdtempSync(join(tmpdir(), 'slm-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const init = join(tmp, 'init');
const corpusDir = join(tmp, 'corpus');
const scoresDir = join(tmp, 'scores');

beforeAll(async () => {
  await initBackend();
  const docs = Array.from({ length: 30 }, (_, i) => ({
    text: `Tom has ${i} apples and buys ${i + 2} more, so he has ${2 * i + 2}. ${'ZQ#'.repeat(i % 3)}`,
    noise_spans: i % 3 ? [[40, 40 + 3 * (i % 3)]] : [],
  }));
  const f = join(tmp, 'c.jsonl');
  writeFileSync(f, docs.map((d) => JSON.stringify(d)).join('\n'));
  prepareCorpus({
    inputs: [f],
    fields: ['text'],
    out: corpusDir,
    tokenizer: { tokenizer: new ByteTokenizer(), kind: 'bytes', sha256: 'bytes', path: null },
    valFraction: 0.2,
    seed: 2,
  });
  const config = makeConfig({ ...BYTE_LLAMA_CONFIG });
  const model = LlamaModel.init(config, 3);
  await saveCheckpoint(init, model);
  const corpus = Corpus.open(corpusDir);
  await scoreSplit(localScorer(model), {
    corpus,
    split: 'train',
    out: scoresDir,
    seqLen: 24,
    batchSize: 4,
    dtype: 'float32',
    shardWindows: 8,
    reference: 'init',
  });
  corpus.dispose();
  model.dispose();
});

const opts = (out: string, over: Partial<TrainOptions> = {}): TrainOptions => ({
  mode: 'clm',
  init,
  corpus: corpusDir,
  out: join(tmp, out),
  refScores: null,
  select: { ratio: 0.6, selectBy: 'excess' },
  steps: 6,
  batchSize: 4,
  seqLen: 24,
  lr: 3e-3,
  minLr: 3e-4,
  warmupSteps: 2,
  weightDecay: 0.1,
  maxGradNorm: 1,
  seed: 5,
  checkpointEvery: 3,
  evalEvery: 2,
  evalWindows: 8,
  ...over,
});

const losses = (rows: StepRow[]) => rows.map((r) => [r.step, r.loss, r.loss_all, r.val_loss ?? null]);

async function train(o: TrainOptions): Promise<StepRow[]> {
  const r = await runTraining(o);
  r.model.dispose();
  return r.rows;
}

describe('runTraining', { timeout: 240_000 }, () => {
  it('clm: writes metrics per step and checkpoints, and its loss goes down', async () => {
    const rows = await train(opts('clm', { steps: 12, checkpointEvery: 6 }));
    expect(rows.map((r) => r.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(rows.every((r) => r.selected_frac === 1 && r.mode === 'clm')).toBe(true);
    expect(rows.at(-1)!.val_loss!).toBeLessThan(rows.find((r) => r.val_loss !== undefined)!.val_loss!);
    expect(existsSync(join(tmp, 'clm/checkpoints/step-00000006/model.safetensors'))).toBe(true);
    expect(existsSync(join(tmp, 'clm/checkpoints/step-00000012/trainer_state.json'))).toBe(true);
  });

  it('a byte-level run whose init has no tokenizer.json still gives every checkpoint one, with ByteTokenizer ids', async () => {
    expect(existsSync(join(init, 'tokenizer.json'))).toBe(false);
    await train(opts('bytes-tok', { steps: 4, checkpointEvery: 2 }));
    const ckpts = listCheckpoints(join(tmp, 'bytes-tok'));
    expect(ckpts.map((c) => c.step)).toEqual([2, 4]);
    const text = 'Tom has 12 apples\n#%& café 🙂 ZQ#';
    const bytes = new ByteTokenizer();
    for (const { dir } of ckpts) {
      const { model, tokenizerPath } = await loadCheckpoint(dir);
      model.dispose();
      expect(tokenizerPath).toBe(join(dir, 'tokenizer.json'));
      const tok = Tokenizer.fromFile(tokenizerPath!);
      expect(tok.encode(text, { addBos: true, addEos: false })).toEqual(bytes.encode(text, { addBos: true }));
      expect(tok.decode(bytes.encode(text))).toBe(text);
      expect((await loadTokenizer(dir)).tokenizer.encode(text)).toEqual(bytes.encode(text));
    }
  });

  it('slm: trains on the top 60% of tokens by excess loss and records noise rejection', async () => {
    const rows = await train(opts('slm', { mode: 'slm', refScores: scoresDir }));
    for (const r of rows) {
      expect(r.selected_frac).toBeGreaterThan(0.55);
      expect(r.selected_frac).toBeLessThan(0.65);
      // The selected tokens are the high-excess ones, so their current loss is above the mean.
      expect(r.loss_selected).toBeGreaterThan(r.loss_all - 1e-6);
      expect(r.excess_mean).not.toBeNull();
      expect(r.noise).toBeGreaterThanOrEqual(0);
      expect(r.rejected).toBeGreaterThan(0);
    }
  });

  it('slm with ratio 1.0 is exactly clm', async () => {
    const clm = await train(opts('clm6'));
    const slm = await train(opts('slm1', { mode: 'slm', refScores: scoresDir, select: { ratio: 1, selectBy: 'excess' } }));
    expect(losses(slm)).toEqual(losses(clm));
  });

  it('resumes from the last checkpoint with the same losses and weights as an uninterrupted run', async () => {
    for (const mode of ['clm', 'slm'] as const) {
      const extra = mode === 'slm' ? { mode, refScores: scoresDir } : {};
      const full = await train(opts(`full-${mode}`, extra));
      // Stop after step 4: the newest checkpoint is step 3, so step 4 is recomputed on resume.
      await train(opts(`cut-${mode}`, { ...extra, stopAfter: 4 }));
      const resumed = await runTraining(opts(`cut-${mode}`, extra));
      resumed.model.dispose();
      expect(resumed.resumedFrom).toBe(3);
      expect(listCheckpoints(join(tmp, `cut-${mode}`)).map((c) => [c.step, existsSync(join(c.dir, 'tokenizer.json'))])).toEqual([
        [3, true],
        [6, true],
      ]);
      expect(losses(resumed.rows)).toEqual(losses(full));
      const a = await loadCheckpoint(join(tmp, `full-${mode}/checkpoints/step-00000006`));
      const b = await loadCheckpoint(join(tmp, `cut-${mode}/checkpoints/step-00000006`));
      for (const [name, w] of a.model.weights) expect(Array.from(b.model.weights.get(name)!.dataSync())).toEqual(Array.from(w.dataSync()));
      a.model.dispose();
      b.model.dispose();
    }
  });

  it('a damaged newest checkpoint is named; --repair removes it and resumes from the one before', async () => {
    const full = await train(opts('full-clm'));
    await train(opts('damaged', { stopAfter: 6 }));
    const weights = join(tmp, 'damaged/checkpoints/step-00000006/model.safetensors');
    const bytes = readFileSync(weights);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
    writeFileSync(weights, bytes);
    await expect(runTraining(opts('damaged', { steps: 9 }))).rejects.toThrow(/does not match its checksum/);
    const warnings: string[] = [];
    const r = await runTraining(opts('damaged', { repair: true, warn: (l) => warnings.push(l) }));
    r.model.dispose();
    expect(r.resumedFrom).toBe(3);
    expect(warnings).toEqual([expect.stringContaining('step-00000006: ')]);
    expect(losses(r.rows)).toEqual(losses(full));
  });

  it('rejects a bad ratio and misaligned scores before the first step', async () => {
    for (const [name, over, pattern] of [
      ['bad-ratio', { mode: 'slm', refScores: scoresDir, select: { ratio: 1.5, selectBy: 'excess' } }, /ratio/],
      ['bad-len', { mode: 'slm', refScores: scoresDir, seqLen: 32 }, /windows of 24/],
      ['no-scores', { mode: 'slm' }, /needs --ref-scores/],
    ] as const) {
      const o = opts(name, over as Partial<TrainOptions>);
      await expect(runTraining(o)).rejects.toThrow(RhoError);
      await expect(runTraining(o)).rejects.toThrow(pattern);
      expect(readFileSync(join(o.out, 'metrics.jsonl'), 'utf8')).toBe('');
    }
  });
});
