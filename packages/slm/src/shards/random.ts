import { makeRng } from '@rho/core/base';

/**
 * Core's seeded generator (mulberry32) for reproducible choices. Seed 0 is taken as 1, as this
 * package always did, so recorded experiments (noise positions, window order) reproduce.
 */
export function seededRandom(seed: number): () => number {
  return makeRng(seed >>> 0 || 1);
}
