/** The harness's result_json (evaluate.py), rounding included. */

export interface ScoredSample {
  pred: (string | null)[];
  score: boolean[];
  type?: unknown;
}

export interface Metrics {
  num_samples: number;
  num_scores: number;
  timeout_samples: number;
  empty_samples: number;
  acc: number;
  type_acc?: Record<string, number>;
  /** Which grader gave acc, when it is not the harness ('strict'; 'both': acc is the harness's). */
  grader?: 'strict' | 'both';
  /** --grader both: the strict grader's accuracy, timed-out comparisons, and the samples whose first verdicts differ. */
  strict_acc?: number;
  strict_timeout_samples?: number;
  disagreements?: number;
}

/**
 * Every field of Metrics: what grading decides, as opposed to what a run records about itself.
 * (`satisfies` makes a field added to Metrics but not here, or the reverse, a compile error.)
 */
export const METRIC_FIELDS: ReadonlySet<string> = new Set(
  Object.keys({
    num_samples: 0,
    num_scores: 0,
    timeout_samples: 0,
    empty_samples: 0,
    acc: 0,
    type_acc: 0,
    grader: 0,
    strict_acc: 0,
    strict_timeout_samples: 0,
    disagreements: 0,
  } satisfies Record<keyof Metrics, 0>),
);

/** numpy's rint: round half to even. */
function rint(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** np.round(x * 100, decimals=1) */
export function percent1(mean: number): number {
  return rint(mean * 100 * 10) / 10;
}

function mean(xs: boolean[]): number {
  return xs.reduce((s, x) => s + (x ? 1 : 0), 0) / xs.length;
}

/** Python str() of a dict key that came from JSON (strings stay, numbers print as Python would). */
function typeKey(t: unknown): string {
  return typeof t === 'string' ? t : JSON.stringify(t);
}

export function computeMetrics(samples: readonly ScoredSample[], timeoutSamples: number): Metrics {
  if (samples.length === 0) return { num_samples: 0, num_scores: 0, timeout_samples: timeoutSamples, empty_samples: 0, acc: 0 };
  const numScores = samples.reduce((s, x) => s + x.score.length, 0);
  // The harness pads short rows with their last score, which leaves column 0 (acc) as it is.
  const col0 = samples.map((s) => (s.score.length > 0 ? s.score[0]! : false));
  const result: Metrics = {
    num_samples: samples.length,
    num_scores: numScores,
    timeout_samples: timeoutSamples,
    empty_samples: samples.filter((s) => !s.pred[s.pred.length - 1]).length,
    acc: percent1(mean(col0)),
  };
  if (samples[0] !== undefined && 'type' in samples[0] && samples[0].type !== undefined) {
    const groups = new Map<string, boolean[]>();
    for (const s of samples) {
      const k = typeKey(s.type);
      const last = s.score[s.score.length - 1] ?? false;
      const g = groups.get(k);
      if (g) g.push(last);
      else groups.set(k, [last]);
    }
    const keys = [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    result.type_acc = Object.fromEntries(keys.map((k) => [k, percent1(mean(groups.get(k)!))]));
  }
  return result;
}

/** A sample graded by both graders (its strict verdicts beside the harness's). */
export interface BothScoredSample extends ScoredSample {
  strict_score?: boolean[];
}

/**
 * The metrics of a grading policy: the harness's as they were; 'strict' marks acc as the strict
 * grader's; 'both' adds the strict accuracy (column 0, as acc) and how many samples the two graders
 * part on, after the harness's fields so that those stay in their place.
 */
export function metricsForPolicy(
  samples: readonly BothScoredSample[],
  timeouts: number,
  strictTimeouts: number,
  policy: 'harness' | 'strict' | 'both',
): Metrics {
  const m = computeMetrics(samples, timeouts);
  if (policy === 'harness') return m;
  if (policy === 'strict') return { ...m, grader: 'strict' };
  const first = (xs: boolean[] | undefined) => (xs && xs.length > 0 ? xs[0]! : false);
  const strictCol = samples.map((s) => first(s.strict_score));
  return {
    ...m,
    grader: 'both',
    strict_acc: samples.length ? percent1(mean(strictCol)) : 0,
    strict_timeout_samples: strictTimeouts,
    disagreements: samples.filter((s) => first(s.score) !== first(s.strict_score)).length,
  };
}
