/**
 * The committed baseline of a gate recipe (data/gates/<recipe>.baseline.json): each metric's value
 * on main, how far it may move, and which way is worse. Reviewers see a change of behaviour as a
 * diff of this file, written by `pnpm gate --update`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { RhoError, writeFileAtomic } from '@rho/core/base';

export type Better = 'higher' | 'lower' | 'equal';

export interface BaselineMetric {
  value: number;
  /** Largest change that is not a regression, in the metric's own unit. */
  tolerance: number;
  better: Better;
}

export interface Baseline {
  recipe: string;
  /** Where and when the values were measured; informational. */
  measured: { date: string; isa: string; backend: string };
  metrics: Record<string, BaselineMetric>;
}

/** The first place `json` departs from the Baseline shape, or null. */
function shapeError(json: unknown): { field: string; message: string } | null {
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObj(json)) return { field: '', message: 'expected an object' };
  if (typeof json.recipe !== 'string') return { field: 'recipe', message: 'expected a string' };
  if (!isObj(json.measured)) return { field: 'measured', message: 'expected an object' };
  for (const k of ['date', 'isa', 'backend']) if (typeof json.measured[k] !== 'string') return { field: `measured.${k}`, message: 'expected a string' };
  if (!isObj(json.metrics)) return { field: 'metrics', message: 'expected an object' };
  for (const [name, m] of Object.entries(json.metrics)) {
    if (!isObj(m)) return { field: `metrics.${name}`, message: 'expected an object' };
    if (typeof m.value !== 'number') return { field: `metrics.${name}.value`, message: 'expected a number' };
    if (typeof m.tolerance !== 'number' || !(m.tolerance >= 0)) return { field: `metrics.${name}.tolerance`, message: 'expected a number ≥ 0' };
    if (m.better !== 'higher' && m.better !== 'lower' && m.better !== 'equal')
      return { field: `metrics.${name}.better`, message: 'expected higher, lower or equal' };
    const extra = Object.keys(m).find((k) => !['value', 'tolerance', 'better'].includes(k));
    if (extra) return { field: `metrics.${name}.${extra}`, message: 'unknown field' };
  }
  return null;
}

/** Reads a baseline; a missing file or one that does not fit the schema is an error naming it. */
export function loadBaseline(file: string): Baseline {
  if (!existsSync(file)) {
    throw new RhoError('NOT_FOUND', 'no baseline for this gate recipe', { file, hint: 'run `pnpm gate --update` to measure one, then commit it' });
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RhoError('BAD_INPUT', `baseline is not JSON: ${(e as Error).message}`, { file });
  }
  const bad = shapeError(json);
  if (bad) throw new RhoError('BAD_INPUT', `baseline does not fit its schema: ${bad.message}`, { file, field: bad.field });
  return json as Baseline;
}

/**
 * Checks a baseline holds every metric the gate measures, so a renamed or forgotten metric is an
 * error naming it, not a silently unchecked number.
 */
export function requireMetrics(b: Baseline, expected: readonly string[], file: string): void {
  const missing = expected.filter((m) => !(m in b.metrics));
  if (missing.length > 0) {
    throw new RhoError('BAD_INPUT', `baseline has no value for ${missing.join(', ')}`, {
      file,
      field: `metrics.${missing[0]}`,
      hint: 'run `pnpm gate --update` to measure the missing metrics, and review the diff',
    });
  }
}

export interface MetricRule {
  tolerance: number;
  better: Better;
}

/**
 * A baseline from measured values: tolerances and directions are kept from the previous baseline
 * where it had the metric (they are a reviewed decision), taken from `rules` otherwise.
 */
export function makeBaseline(
  recipe: string,
  values: Readonly<Record<string, number>>,
  rules: (metric: string) => MetricRule,
  measured: Baseline['measured'],
  previous?: Baseline,
): Baseline {
  const metrics: Record<string, BaselineMetric> = {};
  for (const [name, value] of Object.entries(values)) {
    const old = previous?.metrics[name];
    const rule = old ? { tolerance: old.tolerance, better: old.better } : rules(name);
    metrics[name] = { value, ...rule };
  }
  return { recipe, measured, metrics };
}

export function writeBaseline(file: string, b: Baseline): void {
  writeFileAtomic(file, `${JSON.stringify(b, null, 2)}\n`);
}

export type Status = 'pass' | 'improved' | 'FAIL';

export interface GateRow {
  metric: string;
  baseline: number;
  value: number;
  tolerance: number;
  better: Better;
  status: Status;
}

/** One row per baseline metric: worse than the baseline by more than the tolerance fails. */
export function compareToBaseline(b: Baseline, values: Readonly<Record<string, number>>): GateRow[] {
  return Object.entries(b.metrics).map(([metric, m]) => {
    const value = values[metric];
    if (value === undefined) {
      throw new RhoError('BAD_INPUT', `the gate did not measure ${metric}, which the baseline has`, {
        field: metric,
        hint: 'run `pnpm gate --update` if the metric was removed on purpose',
      });
    }
    const delta = value - m.value;
    // NaN (a metric that could not be computed) is never within tolerance
    const worse = m.better === 'higher' ? -delta : m.better === 'lower' ? delta : Math.abs(delta);
    const status: Status = !(worse <= m.tolerance) ? 'FAIL' : m.better !== 'equal' && -worse > m.tolerance ? 'improved' : 'pass';
    return { metric, baseline: m.value, value, tolerance: m.tolerance, better: m.better, status };
  });
}
