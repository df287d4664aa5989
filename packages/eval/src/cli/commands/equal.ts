import { Command } from 'commander';
import { parseJsonl, readTextInput, RhoError } from '@rho/core/base';
import { isEquivalent } from '../../grader/index.ts';
import { boxedAnswer } from '../../strict/grade-answer.ts';
import { strictVerify, type StrictOptions } from '../../strict/verify.ts';
import { graderOptions, parseGraderOptions, type GraderChoice, type GraderFlags } from '../grader-options.ts';

interface EqualOptions extends GraderFlags {
  pred?: string;
  gt?: string;
  reason?: boolean;
}

function answerField(row: Record<string, unknown>, field: 'pred' | 'gt', file: string, line: number): string | null {
  const v = row[field];
  if (v === null || v === undefined) {
    if (!(field in row)) throw new RhoError('BAD_INPUT', `line has no "${field}"`, { file, line, field });
    return null;
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new RhoError('BAD_INPUT', `"${field}" must be a string or a number`, { file, line, field, got: typeof v });
}

/** The strict grader on two isolated answers: each read whole (boxed), as a sample's gold answer is. */
function strictEqual(pred: string, gt: string, o: Partial<StrictOptions>): { equal: boolean; reason: string } {
  const v = strictVerify(boxedAnswer(gt), boxedAnswer(pred), o);
  return { equal: v.equal, reason: v.timedOut ? 'timeout' : v.equal ? 'strict' : 'different' };
}

/** The fields a verdict adds to a line: `equal` from the chosen grader; with both, `strict_equal` too. */
function verdictFields(pred: string | null, gt: string | null, g: GraderChoice, withReason: boolean): Record<string, unknown> {
  const harness = () => (pred === null || gt === null ? { equal: false, reason: 'empty' } : isEquivalent(pred, gt));
  const strict = () => (pred === null || gt === null ? { equal: false, reason: 'empty' } : strictEqual(pred, gt, g.strict));
  if (g.grader === 'harness' || g.grader === 'strict') {
    const v = g.grader === 'harness' ? harness() : strict();
    return { equal: v.equal, ...(withReason ? { reason: v.reason } : {}) };
  }
  const h = harness();
  const s = strict();
  return { equal: h.equal, strict_equal: s.equal, ...(withReason ? { reason: h.reason, strict_reason: s.reason } : {}) };
}

const cmd = new Command('equal')
  .description(
    "check answer strings as scoring does after extraction: the default normalisation on both, then the equivalence check (--grader strict: Math-Verify's)",
  )
  .argument('[pairs]', 'a jsonl file of {"pred": ..., "gt": ...} lines, or - for stdin; each line is written back with "equal" added')
  .option('--pred <answer>', 'one predicted answer (with --gt)')
  .option('--gt <answer>', 'one reference answer (with --pred)')
  .option('--reason', "add the verdict's reason (numeric, string, symbolic, timeout, ...)");
for (const o of graderOptions()) cmd.addOption(o);

export default cmd.action(async (pairs: string | undefined, opts: EqualOptions) => {
  const g = parseGraderOptions(opts);
  if (opts.pred !== undefined || opts.gt !== undefined) {
    if (opts.pred === undefined || opts.gt === undefined) throw new RhoError('BAD_CONFIG', '--pred and --gt go together');
    if (pairs !== undefined) throw new RhoError('BAD_CONFIG', 'give either a pairs file or --pred/--gt, not both');
    console.log(JSON.stringify({ pred: opts.pred, gt: opts.gt, ...verdictFields(opts.pred, opts.gt, g, Boolean(opts.reason)) }));
    return;
  }
  if (pairs === undefined) throw new RhoError('BAD_CONFIG', 'give a pairs file (or - for stdin), or --pred and --gt');
  const file = pairs === '-' ? '<stdin>' : pairs;
  let text: string;
  try {
    text = await readTextInput(pairs);
  } catch (e) {
    throw new RhoError('NOT_FOUND', `cannot read pairs: ${(e as Error).message}`, { file });
  }
  const lineNos: number[] = [];
  text.split('\n').forEach((l, i) => l.trim() && lineNos.push(i + 1));
  const rows = parseJsonl<Record<string, unknown>>(text, file);
  // Check every line before printing any, so bad input gives an error and no partial output.
  const out = rows.map((row, i) => {
    const line = lineNos[i]!;
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new RhoError('BAD_INPUT', 'line is not a JSON object', { file, line });
    const pred = answerField(row, 'pred', file, line);
    const gt = answerField(row, 'gt', file, line);
    return JSON.stringify({ ...row, ...verdictFields(pred, gt, g, Boolean(opts.reason)) });
  });
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
});
