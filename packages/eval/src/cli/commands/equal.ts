import { Command } from 'commander';
import { parseJsonl, readTextInput, RhoError } from '@rho/core/base';
import { isEquivalent } from '../../grader/index.ts';

interface EqualOptions {
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

export default new Command('equal')
  .description('check answer strings as scoring does after extraction: the default normalisation on both, then the equivalence check')
  .argument('[pairs]', 'a jsonl file of {"pred": ..., "gt": ...} lines, or - for stdin; each line is written back with "equal" added')
  .option('--pred <answer>', 'one predicted answer (with --gt)')
  .option('--gt <answer>', 'one reference answer (with --pred)')
  .option('--reason', 'add the verdict\'s reason (numeric, string, symbolic, timeout, ...)')
  .action(async (pairs: string | undefined, opts: EqualOptions) => {
    if (opts.pred !== undefined || opts.gt !== undefined) {
      if (opts.pred === undefined || opts.gt === undefined) throw new RhoError('BAD_CONFIG', '--pred and --gt go together');
      if (pairs !== undefined) throw new RhoError('BAD_CONFIG', 'give either a pairs file or --pred/--gt, not both');
      const v = isEquivalent(opts.pred, opts.gt);
      console.log(JSON.stringify({ pred: opts.pred, gt: opts.gt, equal: v.equal, ...(opts.reason ? { reason: v.reason } : {}) }));
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
      const v = pred === null || gt === null ? { equal: false, reason: 'empty' } : isEquivalent(pred, gt);
      return JSON.stringify({ ...row, equal: v.equal, ...(opts.reason ? { reason: v.reason } : {}) });
    });
    process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
  });
