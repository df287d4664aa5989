/**
 * The harness's `parse_ground_truth`: the reference solution text and the reference answer of a
 * raw dataset record (one jsonl line of data/<name>/test.jsonl). Each benchmark's own rule is its
 * spec's `groundTruth`; what is common to all of them lives here.
 */
// core's index pulls in tensor code; the error class alone keeps scoring light (same module, same class).
import { RhoError } from '@rho/core/base';
import { benchmarkRules, DATASETS } from '../datasets/registry.ts';
import { extractAnswerAs } from '../extract/answer.ts';
import { stripString } from '../normalize/strip-string.ts';
import { pyStr, pyStrip } from '../normalize/python.ts';

export interface GroundTruth {
  /** The reference solution (None printed as "None", as the harness does). */
  gtCot: string;
  /** The normalised reference answer. */
  gt: string;
}

/** The names an unknown-dataset error lists: each dataset's data_name, then its folder where that differs. */
export const GROUND_TRUTH_DATASETS: readonly string[] = Object.freeze(Object.values(DATASETS).flatMap((d) => (d.dir === d.name ? [d.name] : [d.name, d.dir])));

/** First pass: what math_eval.py computes from the raw record. */
export function parseGroundTruth(record: Record<string, unknown>, dataName: string): GroundTruth {
  const rules = benchmarkRules(dataName);
  // A sample math_eval already wrote: the harness takes its gt_cot/gt (any data_name, known or not).
  if ('gt_cot' in record && 'gt' in record) {
    const gtCot = record['gt_cot'];
    const gt = rules?.rereadsSolution ? extractAnswerAs(pyStr(gtCot), rules.answer) : stripString(pyStr(record['gt']));
    return { gtCot: pyStr(gtCot), gt };
  }
  if (!rules) {
    throw new RhoError('BAD_CONFIG', `unknown dataset: ${dataName}`, {
      field: 'data',
      got: dataName,
      expected: GROUND_TRUTH_DATASETS.join(', '),
      hint: `known datasets: ${GROUND_TRUTH_DATASETS.join(', ')}`,
    });
  }
  const first = rules.groundTruth(record);
  return { gtCot: pyStrip(pyStr(first.gtCot)), gt: stripString(first.gt) };
}

/**
 * What evaluate.py scores against: it re-parses the sample that math_eval.py built (which
 * carries gt_cot and gt), so the answer goes through normalisation a second time.
 */
export function groundTruthForScoring(record: Record<string, unknown>, dataName: string): GroundTruth {
  const first = parseGroundTruth(record, dataName);
  return parseGroundTruth({ gt_cot: first.gtCot, gt: first.gt }, dataName);
}
