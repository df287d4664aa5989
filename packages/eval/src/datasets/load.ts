import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError, parseJsonl } from '@rho/core/base';
import { buildQuestion } from './question.ts';
import { getDataset } from './registry.ts';
import type { DatasetSpec, Example, RawRecord } from './types.ts';

/** Record fields math_eval copies into each output sample, in its order. */
export const OUTPUT_FIELDS = [
  'level',
  'type',
  'unit',
  'solution_type',
  'choices',
  'solution',
  'ques_type',
  'ans_type',
  'answer_type',
  'dataset',
  'subfield',
  'filed',
  'theorem',
  'answer',
] as const;

export function datasetFile(dataDir: string, name: string, split = 'test'): string {
  return join(dataDir, 'data', getDataset(name).dir, `${split}.jsonl`);
}

/** Where records came from, for error messages: the file, or the built-in generator and split. */
interface Source {
  file: string;
  /** 1-based line of each row (a file's blank lines are skipped, so they need not be consecutive). */
  lines: number[];
}

function readFile(file: string): { rows: readonly RawRecord[]; source: Source } {
  const text = readFileSync(file, 'utf8');
  // parseJsonl skips blank lines; keep their numbers so errors point at the right line
  const lines: number[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim() !== '') lines.push(i + 1);
  });
  const rows = parseJsonl(text, file);
  if (rows.length === 0) throw new RhoError('BAD_INPUT', 'dataset file is empty', { file });
  return { rows, source: { file, lines } };
}

function readBuiltin(spec: DatasetSpec, split: string): { rows: readonly RawRecord[]; source: Source } | null {
  if (!spec.builtin) return null;
  const rows = spec.builtin.records(split);
  const file = `<built-in ${spec.name} ${split}>`;
  if (rows.length === 0) throw new RhoError('BAD_INPUT', `built-in dataset ${spec.name} has no ${split} records`, { file });
  return { rows, source: { file, lines: rows.map((_, i) => i + 1) } };
}

/**
 * Raw records of a benchmark in the harness's order: a file whose first record has no `idx`
 * gets indices in file order (data_loader.py), then records are sorted by `idx` (stable).
 * Without a file, a built-in benchmark's generated records go through the same checks.
 */
export function loadRecords(name: string, dataDir: string, split = 'test'): RawRecord[] {
  const spec = getDataset(name);
  const file = datasetFile(dataDir, name, split);
  const read = existsSync(file) ? readFile(file) : readBuiltin(spec, split);
  if (!read) {
    throw new RhoError('NOT_FOUND', `no ${split} file for dataset ${spec.name}`, {
      file,
      hint: 'run `pnpm data fetch` to download the benchmark files, or point --data-dir / RHO_DATA_DIR at a copy',
    });
  }
  const { rows, source } = read;
  const enumerate = !('idx' in rows[0]!);
  const records = rows.map((row, i) => {
    const line = source.lines[i];
    const checked = spec.schema.safeParse(row);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new RhoError('BAD_INPUT', `record does not fit dataset ${spec.name}: ${issue?.message ?? 'invalid'}`, {
        file: source.file,
        line,
        field: issue?.path.join('.'),
      });
    }
    if (enumerate) return { idx: i, ...row } as RawRecord;
    if (typeof row.idx !== 'number' || !Number.isInteger(row.idx)) {
      throw new RhoError('BAD_INPUT', 'record has no integer idx while the first one has', { file: source.file, line, field: 'idx', got: row.idx });
    }
    return row as RawRecord;
  });
  return records.sort((a, b) => (a.idx as number) - (b.idx as number));
}

/** One record as an Example: question built, output fields picked as math_eval does. */
export function toExample(name: string, record: RawRecord): Example {
  const spec = getDataset(name);
  const question = buildQuestion(spec, record);
  const after = spec.mutated ? spec.mutated(record) : record;
  const fields: Record<string, unknown> = {};
  for (const key of OUTPUT_FIELDS) if (key in after) fields[key] = after[key];
  return { idx: record.idx as number, dataName: spec.name, question, record, fields };
}

/** The test problems of a benchmark from `<dataDir>/data/<dir>/<split>.jsonl` (or its built-in records), as the harness sees them. */
export function loadExamples(name: string, dataDir: string, split = 'test'): Example[] {
  return loadRecords(name, dataDir, split).map((r) => toExample(name, r));
}
