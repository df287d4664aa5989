import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { RhoError, readJsonl } from '@rho/core';

/** One corpus document; `noise` marks [start, end) character ranges of injected noise. */
export interface Doc {
  text: string;
  noise?: Array<[number, number]>;
}

/**
 * Documents from jsonl (the given fields joined by a newline, e.g. GSM8K's question + answer) or
 * from plain text files (one document each). A record without the field is an error naming the
 * line, raised before anything is tokenized.
 */
export function readDocs(file: string, fields: readonly string[]): Doc[] {
  if (!existsSync(file)) throw new RhoError('NOT_FOUND', 'no such corpus file', { file });
  if (extname(file) !== '.jsonl' && extname(file) !== '.json') return [{ text: readFileSync(file, 'utf8') }];
  const rows = readJsonl(file);
  return rows.map((row, i) => {
    const parts = fields.map((f) => {
      const v = row[f];
      if (typeof v !== 'string') {
        throw new RhoError('BAD_INPUT', `record has no text field "${f}"`, {
          file,
          line: i + 1,
          field: f,
          got: Object.keys(row),
          hint: `choose the fields with --field (e.g. --field ${
            Object.keys(row)
              .filter((k) => typeof row[k] === 'string')
              .join(',') || 'text'
          })`,
        });
      }
      return v;
    });
    const doc: Doc = { text: parts.join('\n') };
    const spans = row.noise_spans;
    if (Array.isArray(spans)) doc.noise = spans as Array<[number, number]>;
    return doc;
  });
}
