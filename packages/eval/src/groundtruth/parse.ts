/**
 * The harness's `parse_ground_truth`: the reference solution text and the reference answer of a
 * raw dataset record (one jsonl line of data/<name>/test.jsonl).
 */
// core's index pulls in tensor code; the error class alone keeps scoring light (same module, same class).
import { RhoError } from '@rho/core/base';
import { extractAnswer } from '../extract/answer.ts';
import { stripString } from '../normalize/strip-string.ts';
import { pyFloat, pyFloatRepr, pyInt, pyStr, pyStrip } from '../normalize/python.ts';

export interface GroundTruth {
  /** The reference solution (None printed as "None", as the harness does). */
  gtCot: string;
  /** The normalised reference answer. */
  gt: string;
}

/** Datasets whose reference answer is the \boxed{} of the solution. */
export const SOLUTION_BOXED_DATASETS: readonly string[] = ['math', 'math_oai', 'minerva_math', 'ocw', 'amps', 'hungarian_exam'];

export const GROUND_TRUTH_DATASETS: readonly string[] = [
  'gsm8k', 'math', 'minerva_math', 'math_oai', 'svamp', 'asdiv', 'mawps', 'tabmwp', 'sat_math', 'gsm_hard', 'mmlu_stem', 'mathqa',
];

function field(record: Record<string, unknown>, key: string, dataName: string): unknown {
  if (!(key in record)) {
    throw new RhoError('BAD_INPUT', `${dataName} record has no "${key}" field`, { field: key, expected: key, got: Object.keys(record).join(', ') });
  }
  return record[key];
}

function text(record: Record<string, unknown>, key: string, dataName: string): string {
  const v = field(record, key, dataName);
  if (typeof v !== 'string') throw new RhoError('BAD_INPUT', `${dataName} record field "${key}" is not a string`, { field: key, expected: 'string', got: typeof v });
  return v;
}

/** A JSON number that Python's json.loads would have made a float (these fields always are). */
function floatStr(v: unknown): string {
  return typeof v === 'number' ? pyFloatRepr(v) : pyStr(v);
}

function tabmwpAnswer(record: Record<string, unknown>): string {
  const answer = text(record, 'answer', 'tabmwp');
  const type = record['ans_type'];
  if (type !== 'integer_number' && type !== 'decimal_number') return answer;
  const bad = () => new RhoError('BAD_INPUT', `tabmwp numeric answer is not a number: ${answer}`, { field: 'answer', got: answer });
  if (answer.includes('/')) {
    const [a, b] = answer.split('/');
    const n = pyInt(a ?? '');
    const d = pyInt(b ?? '');
    if (n === null || d === null || d === 0n) throw bad();
    return pyFloatRepr(Number(n) / Number(d));
  }
  let f: number | null;
  if (answer.includes(',')) f = pyFloat(answer.split(',').join(''));
  else if (answer.includes('%')) {
    const g = pyFloat(answer.split('%')[0]!);
    f = g === null ? null : g / 100;
  } else f = pyFloat(answer);
  if (f === null) throw bad();
  return pyFloatRepr(f);
}

/** First pass: what math_eval.py computes from the raw record. */
export function parseGroundTruth(record: Record<string, unknown>, dataName: string): GroundTruth {
  let gtCot: unknown;
  let gt: string;
  if ('gt_cot' in record && 'gt' in record) {
    gtCot = record['gt_cot'];
    const g = SOLUTION_BOXED_DATASETS.filter((d) => d !== 'minerva_math').includes(dataName)
      ? extractAnswer(pyStr(gtCot), dataName)
      : stripString(pyStr(record['gt']));
    return { gtCot: pyStr(gtCot), gt: g };
  }
  switch (dataName) {
    case 'math':
    case 'math_oai':
    case 'minerva_math':
    case 'ocw':
    case 'amps':
    case 'hungarian_exam':
      gtCot = text(record, 'solution', dataName);
      gt = extractAnswer(gtCot as string, dataName);
      break;
    case 'mathqa': {
      gtCot = field(record, 'rationale', dataName);
      gt = text(record, 'correct', dataName).toUpperCase();
      if (!['A', 'B', 'C', 'D', 'E'].includes(gt)) throw new RhoError('BAD_INPUT', `mathqa answer must be a letter A-E, got ${gt}`, { field: 'correct', got: gt });
      break;
    }
    case 'gsm8k': {
      const parts = text(record, 'answer', dataName).split('####');
      if (parts.length !== 2) throw new RhoError('BAD_INPUT', 'gsm8k answer must contain exactly one "####"', { field: 'answer' });
      gtCot = parts[0];
      gt = parts[1]!;
      break;
    }
    case 'gsm_hard':
      gtCot = field(record, 'code', dataName);
      gt = floatStr(field(record, 'target', dataName));
      break;
    case 'svamp':
      gtCot = field(record, 'Equation', dataName);
      gt = floatStr(field(record, 'Answer', dataName));
      break;
    case 'asdiv':
      gtCot = field(record, 'formula', dataName);
      gt = text(record, 'answer', dataName).replace(/\([^\n]*?\)/g, '');
      break;
    case 'mawps':
      gtCot = null;
      gt = floatStr(field(record, 'target', dataName));
      break;
    case 'tabmwp':
      gtCot = field(record, 'solution', dataName);
      gt = tabmwpAnswer(record);
      break;
    case 'mmlu_stem': {
      gtCot = null;
      const i = field(record, 'answer', dataName);
      const letter = typeof i === 'number' ? 'ABCD'[i] : undefined;
      if (letter === undefined) throw new RhoError('BAD_INPUT', `mmlu_stem answer must be 0-3, got ${String(i)}`, { field: 'answer', got: i });
      gt = letter;
      break;
    }
    case 'sat_math':
      gtCot = null;
      gt = pyStr(field(record, 'Answer', dataName));
      break;
    default:
      throw new RhoError('BAD_CONFIG', `unknown dataset: ${dataName}`, {
        field: 'data',
        got: dataName,
        expected: GROUND_TRUTH_DATASETS.join(', '),
        hint: `known datasets: ${GROUND_TRUTH_DATASETS.join(', ')}`,
      });
  }
  return { gtCot: pyStrip(pyStr(gtCot)), gt: stripString(gt) };
}

/**
 * What evaluate.py scores against: it re-parses the sample that math_eval.py built (which
 * carries gt_cot and gt), so the answer goes through normalisation a second time.
 */
export function groundTruthForScoring(record: Record<string, unknown>, dataName: string): GroundTruth {
  const first = parseGroundTruth(record, dataName);
  return parseGroundTruth({ gt_cot: first.gtCot, gt: first.gt }, dataName);
}
