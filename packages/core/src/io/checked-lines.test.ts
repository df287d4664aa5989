import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeCheckedLine, encodeCheckedLine, readCheckedJournal } from './checked-lines.ts';

const Row = z.strictObject({ idx: z.number().int(), v: z.string() });

describe('checked journal lines', () => {
  it('round-trips and refuses a changed line or one outside the schema', () => {
    const line = encodeCheckedLine({ idx: 1, v: 'a' });
    expect(line).toMatch(/^\{"sum":"[0-9a-f]{16}","idx":1,"v":"a"\}\n$/);
    expect(decodeCheckedLine(line.trimEnd(), Row)).toEqual({ ok: true, value: { idx: 1, v: 'a' } });
    expect(decodeCheckedLine(line.trimEnd().replace('"a"', '"b"'), Row)).toMatchObject({ ok: false, reason: /checksum mismatch/ });
    expect(decodeCheckedLine('{"idx":1,"v":"a"}', Row)).toMatchObject({ ok: false, reason: /no checksum/ });
    expect(decodeCheckedLine(encodeCheckedLine({ idx: 1, v: null }).trimEnd(), Row)).toMatchObject({ ok: false, reason: /^v: / });
  });

  it('drops a torn last line quietly; any other bad line is an error naming its line, or dropped with --repair', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'checked-')), 'j.jsonl');
    writeFileSync(file, encodeCheckedLine({ idx: 0, v: 'a' }) + encodeCheckedLine({ idx: 1, v: 'b' }));
    appendFileSync(file, encodeCheckedLine({ idx: 2, v: 'c' }).slice(0, 20));
    expect(readCheckedJournal(file, Row)).toEqual([
      { idx: 0, v: 'a' },
      { idx: 1, v: 'b' },
    ]);
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3); // torn tail cut off

    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, [lines[0], lines[1]!.replace('"b"', '"B"'), ''].join('\n') + encodeCheckedLine({ idx: 3, v: 'd' }));
    expect(() => readCheckedJournal(file, Row)).toThrow(/bad journal line 2: checksum mismatch/);
    try {
      readCheckedJournal(file, Row);
    } catch (e) {
      expect((e as { context: { line: number; file: string } }).context).toMatchObject({ file, line: 2 });
    }
    const warnings: string[] = [];
    expect(readCheckedJournal(file, Row, { repair: true, warn: (l) => warnings.push(l) })).toEqual([
      { idx: 0, v: 'a' },
      { idx: 3, v: 'd' },
    ]);
    expect(warnings).toEqual([expect.stringContaining(`${file}:2: dropped a bad journal line`)]);
    expect(readCheckedJournal(file, Row)).toHaveLength(2); // rewritten without it
  });

  it('a read-only reader leaves a torn tail in the file for its writer and never rewrites it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'checked-')), 'j.jsonl');
    const whole = encodeCheckedLine({ idx: 0, v: 'a' }) + encodeCheckedLine({ idx: 1, v: 'b' }).slice(0, 12);
    writeFileSync(file, whole);
    expect(readCheckedJournal(file, Row, { readOnly: true })).toEqual([{ idx: 0, v: 'a' }]);
    expect(readFileSync(file, 'utf8')).toBe(whole);
    writeFileSync(file, encodeCheckedLine({ idx: 0, v: 'a' }).replace('"a"', '"A"'));
    expect(() => readCheckedJournal(file, Row, { readOnly: true, repair: true })).toThrow(/bad journal line 1/);
  });
});
