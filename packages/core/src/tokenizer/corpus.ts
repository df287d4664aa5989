import { existsSync, readFileSync } from 'node:fs';
import { RhoError } from '../errors.ts';
import { parseJsonl } from '../io/jsonl.ts';

/**
 * The texts of corpus files for tokenizer training: a `.jsonl` file gives one text per row, the
 * named string fields joined by a newline; any other file is one text as it stands.
 */
export function readCorpusTexts(files: readonly string[], fields: readonly string[]): string[] {
  const texts: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) throw new RhoError('NOT_FOUND', 'no such corpus file', { file });
    const content = readFileSync(file, 'utf8');
    if (!file.endsWith('.jsonl')) {
      texts.push(content);
      continue;
    }
    parseJsonl(content, file).forEach((row, i) => {
      const parts = fields.map((f) => {
        const v = (row as Record<string, unknown>)[f];
        if (typeof v !== 'string') {
          throw new RhoError('BAD_INPUT', `row ${i + 1} has no string field ${JSON.stringify(f)}`, {
            file,
            field: f,
            hint: `fields present: ${Object.keys(row).join(', ')}; choose with --field`,
          });
        }
        return v;
      });
      texts.push(parts.join('\n'));
    });
  }
  return texts;
}
