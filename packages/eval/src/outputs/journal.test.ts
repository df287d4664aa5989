import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SampleJournal } from './journal.ts';

describe('SampleJournal', () => {
  it('survives a torn last line and keeps appending cleanly', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'journal-')), 'run.partial.jsonl');
    const j = new SampleJournal<{ idx: number; v: string }>(path);
    j.append({ idx: 0, v: 'a' });
    j.append({ idx: 1, v: 'b' });
    j.close();
    appendFileSync(path, '{"idx": 2, "v": "tor');
    const k = new SampleJournal<{ idx: number; v: string }>(path);
    expect([...k.done.keys()]).toEqual(['0', '1']);
    k.append({ idx: 2, v: 'c' });
    k.append({ idx: 1, v: 'dup' });
    k.close();
    expect(readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).idx)).toEqual([0, 1, 2]);
    expect(new SampleJournal<{ idx: number; v: string }>(path).rows([2, 0, 1]).map((r) => r.v)).toEqual(['c', 'a', 'b']);
  });
});
