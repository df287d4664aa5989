import type { PublishedTable } from './published.ts';
import { publishedRowFor } from './published.ts';

export interface OurResult {
  model: string;
  data: string;
  promptType: string;
  acc: number;
  /** The acc in the metrics file that came with the outputs, when there is one. */
  reportedAcc?: number;
  /** --grader both: the strict grader's accuracy, and the samples on which the two graders part. */
  strictAcc?: number;
  disagreements?: number;
}

export interface ComparisonRow extends OurResult {
  published?: number;
  publishedKey?: string;
  differentSet: boolean;
  delta?: number;
  beyondTolerance: boolean;
  source?: string;
}

/** Pure: our re-scored numbers beside a published table (rows of other prompt types are left out). */
export function compareWithPublished(ours: readonly OurResult[], table: PublishedTable | undefined, tolerance: number): ComparisonRow[] {
  return ours
    .filter((r) => !table || r.promptType === table.prompt_type)
    .map((r) => {
      const row = table ? publishedRowFor(table, r.data) : undefined;
      if (!row) return { ...r, differentSet: false, beyondTolerance: false };
      const delta = Math.round((r.acc - row.acc) * 10) / 10;
      return {
        ...r,
        published: row.acc,
        publishedKey: row.key,
        differentSet: row.differentSet,
        delta,
        beyondTolerance: Math.abs(delta) > tolerance,
        source: row.url,
      };
    });
}
