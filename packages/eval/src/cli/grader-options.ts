import { Option } from 'commander';
import { int, num, oneOf, RhoError } from '@rho/core/base';
import { GRADER_POLICIES, type GraderPolicy } from '../rescore/grade-sample.ts';
import type { MatchType } from '../strict/extract-patterns.ts';
import type { StrictOptions } from '../strict/verify.ts';

/** What the --grader family of options gives a command. */
export interface GraderChoice {
  grader: GraderPolicy;
  strict: Partial<StrictOptions>;
}

export interface GraderFlags {
  grader?: string;
  strictPrecision?: string;
  strictMatch?: string;
  strictBoxedPriority?: string;
  strictVariables?: boolean;
  strictTimeout?: string;
}

/**
 * `--grader` and the strict grader's options, as Math-Verify names them (precision, strict,
 * match types): every grading command takes the same set.
 */
export function graderOptions(policies: readonly GraderPolicy[] = GRADER_POLICIES): Option[] {
  return [
    new Option(
      '--grader <grader>',
      "harness: the Python harness, verdict for verdict (reproduces the published tables); strict: Math-Verify's semantics; both: the harness in pred/score, the strict grader beside it (strict_pred, strict_gt, strict_score; strict_acc in the metrics)",
    )
      .choices(policies)
      .default('harness'),
    new Option('--strict-precision <places>', "strict grader: decimal places a float is rounded to before comparing (Math-Verify's float_rounding; default 6)"),
    new Option('--strict-match <types>', 'strict grader: where it looks for the answer, comma-separated from latex, expr (default latex,expr)'),
    new Option(
      '--strict-boxed-priority <n>',
      'strict grader: priority of \\boxed among the answer patterns, 0 first, -1 never (default 50: after "final answer is")',
    ),
    new Option('--no-strict-variables', "strict grader: match variables by position, so f(x) equals f(y) (Math-Verify's strict=False)"),
    new Option('--strict-timeout <s>', 'strict grader: seconds for one comparison, past which it counts as wrong (default 5)'),
  ];
}

/** Validates the flags; a strict option without a strict grader is an error rather than silently unused. */
export function parseGraderOptions(f: GraderFlags): GraderChoice {
  const grader = oneOf('--grader', GRADER_POLICIES)(f.grader ?? 'harness');
  const strict: Partial<StrictOptions> = {};
  if (f.strictPrecision !== undefined) strict.precision = int('--strict-precision', { min: 0, max: 20 })(f.strictPrecision);
  if (f.strictBoxedPriority !== undefined) strict.boxedPriority = int('--strict-boxed-priority', { min: -1 })(f.strictBoxedPriority);
  if (f.strictTimeout !== undefined) strict.timeoutMs = 1000 * num('--strict-timeout', { gt: 0, max: 600 }, 'seconds')(f.strictTimeout);
  if (f.strictVariables === false) strict.strict = false;
  if (f.strictMatch !== undefined) {
    const types = f.strictMatch
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const bad = types.filter((t) => t !== 'latex' && t !== 'expr');
    if (types.length === 0 || bad.length > 0)
      throw new RhoError('BAD_CONFIG', `--strict-match takes latex and/or expr, got ${f.strictMatch}`, { field: '--strict-match', got: f.strictMatch });
    strict.matchTypes = [...new Set(types)] as MatchType[];
  }
  if (grader === 'harness' && Object.keys(strict).length > 0) {
    throw new RhoError('BAD_CONFIG', 'the --strict-* options set the strict grader', { field: '--grader', hint: 'add --grader strict or --grader both' });
  }
  return { grader, strict };
}
