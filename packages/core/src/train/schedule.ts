/**
 * Learning rate by step: linear warmup from 0, then cosine decay to `minLr` at `totalSteps`,
 * flat after. Pure, so a resumed run gets its rate from the step alone.
 */
export interface ScheduleConfig {
  maxLr: number;
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
}

/** Rate for optimizer step `step` (0-based: the first update uses lrAt(0)). */
export function lrAt(step: number, cfg: ScheduleConfig): number {
  const { maxLr, minLr, warmupSteps, totalSteps } = cfg;
  // (step+1) so the first update is not a wasted step at lr 0.
  if (step < warmupSteps) return (maxLr * (step + 1)) / warmupSteps;
  if (step >= totalSteps) return minLr;
  const decaySteps = totalSteps - warmupSteps;
  if (decaySteps <= 0) return minLr;
  const progress = (step - warmupSteps) / decaySteps;
  return minLr + 0.5 * (maxLr - minLr) * (1 + Math.cos(Math.PI * progress));
}
