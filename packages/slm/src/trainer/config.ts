import { z } from 'zod';
import { RhoError } from '@rho/core';

/**
 * An SLM or CLM training run as the CLI and the experiment recipe give it (mode, token selection,
 * steps, shape, optimiser, cadence); unknown keys are an error. Core's TrainConfig is the part a
 * trainer step carries (schedule, clipping, AdamW).
 */
export const SlmTrainConfig = z.strictObject({
  mode: z.enum(['clm', 'slm']),
  ratio: z.number().gt(0, 'ratio must be in (0, 1]').lte(1, 'ratio must be in (0, 1]').default(0.6),
  selectBy: z.enum(['excess', 'current', 'reference', 'random']).default('excess'),
  reweight: z.boolean().default(false),
  temperature: z.number().positive().default(0.5),
  steps: z.number().int().positive().default(200),
  batchSize: z.number().int().positive().default(8),
  seqLen: z.number().int().min(2).default(128),
  lr: z.number().positive().default(3e-3),
  minLr: z.number().nonnegative().default(3e-4),
  warmupSteps: z.number().int().nonnegative().default(10),
  weightDecay: z.number().nonnegative().default(0.1),
  maxGradNorm: z.number().nonnegative().default(1),
  seed: z.number().int().nonnegative().default(0),
  checkpointEvery: z.number().int().positive().default(50),
  evalEvery: z.number().int().positive().default(10),
  evalWindows: z.number().int().positive().default(64),
});
export type SlmTrainConfig = z.infer<typeof SlmTrainConfig>;

export function parseWithSchema<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new RhoError('BAD_CONFIG', `${where}: ${i.path.join('.') || 'value'}: ${i.message}`, {
      field: i.path.join('.') || undefined,
      got: i.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey], value),
    });
  }
  return r.data;
}
