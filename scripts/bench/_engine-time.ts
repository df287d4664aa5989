import { loadEngineApi } from '@rho/core';

/**
 * Where the native engine's time went since the last call, as "products / attention / the rest"
 * percentages (reading resets the counters), or why there is no split.
 */
export function engineTimeSplit(engine: string): string {
  const api = engine === 'native' ? loadEngineApi() : undefined;
  if (!api?.ok) return `n/a (${engine} engine)`;
  const parts = api.api.engineProfile();
  const all = parts.reduce((a, b) => a + b, 0) || 1;
  return parts.map((x) => `${Math.round((100 * x) / all)}%`).join(' / ');
}
