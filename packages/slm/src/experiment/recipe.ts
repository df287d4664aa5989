import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { RhoError } from '@rho/core';
import { parseWithSchema } from '../trainer/config.ts';

/** The committed experiment recipe: packages/slm/experiments/gsm8k-noise.json. */
export const DEFAULT_RECIPE = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../experiments/gsm8k-noise.json');

const RunSchema = z.strictObject({
  steps: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  seqLen: z.number().int().min(2),
  lr: z.number().positive(),
  minLr: z.number().nonnegative(),
  warmupSteps: z.number().int().nonnegative(),
  checkpointEvery: z.number().int().positive(),
  evalEvery: z.number().int().positive(),
  evalWindows: z.number().int().positive(),
  weightDecay: z.number().nonnegative().default(0.1),
  maxGradNorm: z.number().nonnegative().default(1),
});

export const PresetSchema = z.strictObject({
  docs: z.strictObject({ reference: z.number().int().positive(), train: z.number().int().positive(), val: z.number().int().positive() }),
  tokenizer: z.union([z.literal('bytes'), z.strictObject({ bpeVocab: z.number().int().positive(), splitDigits: z.boolean().default(false) })]),
  noise: z.strictObject({ rate: z.number().min(0).lt(1), seed: z.number().int(), kinds: z.array(z.enum(['boilerplate', 'random', 'offtopic'])) }),
  /** Hugging Face LlamaConfig fields; vocab and special ids come from the tokenizer. */
  model: z.record(z.string(), z.unknown()),
  seed: z.number().int().nonnegative(),
  scoreDtype: z.enum(['float16', 'float32']),
  reference: RunSchema,
  train: RunSchema,
  ratio: z.number().gt(0).lte(1),
  selectBy: z.enum(['excess', 'current', 'reference', 'random']).default('excess'),
  reweight: z.boolean().default(false),
});
export type Preset = z.infer<typeof PresetSchema>;

export const RecipeSchema = z.strictObject({
  description: z.string(),
  source: z.string(),
  fields: z.array(z.string()).min(1),
  presets: z.record(z.string(), z.unknown()),
});

export interface Recipe {
  description: string;
  source: string;
  fields: string[];
  preset: Preset;
  presetName: string;
}

/** A preset object (from a recipe file or another tool's recipe), checked; errors name `where`. */
export function parsePreset(json: unknown, where: string): Preset {
  return parseWithSchema(PresetSchema, json, where);
}

export function loadRecipe(file: string, presetName: string): Recipe {
  if (!existsSync(file)) throw new RhoError('NOT_FOUND', 'no such recipe', { file });
  const raw = parseWithSchema(RecipeSchema, JSON.parse(readFileSync(file, 'utf8')), file);
  const p = raw.presets[presetName];
  if (p === undefined)
    throw new RhoError('BAD_CONFIG', `recipe has no preset "${presetName}"`, { file, field: 'preset', expected: Object.keys(raw.presets), got: presetName });
  return {
    description: raw.description,
    source: raw.source,
    fields: raw.fields,
    preset: parseWithSchema(PresetSchema, p, `${file} presets.${presetName}`),
    presetName,
  };
}
