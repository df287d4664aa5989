import { readFileSync, existsSync } from 'node:fs';
import { RhoError } from '@rho/core/base';
import type { OutputRecord } from '../rescore/index.ts';

/** What to do with an idx that appears on more than one line: stop (default), or keep its first or last sample. */
export type Dedupe = 'first' | 'last';

/**
 * The samples of an outputs file to re-score, checked line by line before any grading: each line
 * a JSON object with a numeric `idx` of a problem of the dataset and a `code` list; at least one
 * sample; no idx twice unless `dedupe` says which to keep. Every error names the file and line,
 * so a file that cannot be scored honestly is never reported as a score.
 */
export function readScoreInput(file: string, dataset: ReadonlyMap<number, unknown>, dataName: string, dedupe?: Dedupe): OutputRecord[] {
  if (!existsSync(file)) throw new RhoError('NOT_FOUND', 'no such file', { file });
  const byIdx = new Map<number, { line: number; rec: OutputRecord }>();
  const order: number[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const line = i + 1;
      if (text.trim() === '') return;
      let rec: unknown;
      try {
        rec = JSON.parse(text);
      } catch (e) {
        throw new RhoError('BAD_INPUT', `malformed JSON on line ${line}: ${(e as Error).message}`, { file, line });
      }
      if (typeof rec !== 'object' || rec === null || Array.isArray(rec) || typeof (rec as OutputRecord).idx !== 'number') {
        throw new RhoError('BAD_INPUT', `sample on line ${line} has no numeric "idx"`, { file, line, field: 'idx' });
      }
      const r = rec as OutputRecord;
      if (!Array.isArray(r.code)) throw new RhoError('BAD_INPUT', `sample on line ${line} has no "code" list of completions`, { file, line, field: 'code' });
      if (!dataset.has(r.idx)) {
        throw new RhoError('BAD_INPUT', `idx ${r.idx} on line ${line} is not a problem of ${dataName}`, {
          file,
          line,
          field: 'idx',
          got: r.idx,
          hint: 'check that the outputs and the data directory are for the same dataset and split',
        });
      }
      const seen = byIdx.get(r.idx);
      if (seen && !dedupe) {
        throw new RhoError('BAD_INPUT', `idx ${r.idx} on line ${line} was already on line ${seen.line}`, {
          file,
          line,
          field: 'idx',
          got: r.idx,
          hint: 'pass --dedupe first or --dedupe last to keep one of them on purpose',
        });
      }
      if (!seen) order.push(r.idx);
      if (!seen || dedupe === 'last') byIdx.set(r.idx, { line, rec: r });
    });
  if (order.length === 0) throw new RhoError('BAD_INPUT', 'no samples: the outputs file is empty', { file, line: 1 });
  return order.map((idx) => byIdx.get(idx)!.rec);
}
