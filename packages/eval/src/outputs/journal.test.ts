import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeCheckedLine } from '@rho/core/base';
import { RUN_IDENTITY_FORMAT, type RunIdentity } from '../run/run-identity.ts';
import { SampleJournal } from './journal.ts';

const identity: RunIdentity = {
  format: RUN_IDENTITY_FORMAT,
  model: { kind: 'named', name: 'm' },
  prompt_type: 'cot',
  few_shot: { count: 0, sha256: null },
  sampling: { temperature: 0, top_p: 1, n_sampling: 1, seed: 0, max_tokens: 8 },
  dataset: { name: 'gsm8k', sha256: 'x' },
};
const opts = { problems: new Set([0, 1, 2]), nSampling: 1 };

function journalFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'journal-')), '.run.partial');
}

describe('SampleJournal', () => {
  it('starts with the run identity, survives a torn last line and keeps appending cleanly', () => {
    const path = journalFile();
    const j = new SampleJournal(path, identity, opts);
    j.append({ idx: 0, code: ['a'] });
    j.append({ idx: 1, code: ['b'] });
    j.close();
    expect(JSON.parse(readFileSync(path, 'utf8').split('\n')[0]!)).toMatchObject({ kind: 'identity', identity });
    appendFileSync(path, '{"sum":"0123456789abcdef","kind":"sample","idx":2,"co');
    const k = new SampleJournal(path, identity, opts);
    expect([0, 1, 2].map((i) => k.has(i))).toEqual([true, true, false]);
    k.append({ idx: 2, code: ['c'] });
    k.append({ idx: 1, code: ['dup'] });
    k.close();
    const again = new SampleJournal(path, identity, opts);
    expect([0, 1, 2].map((i) => again.code(i))).toEqual([['a'], ['b'], ['c']]);
    again.close();
  });

  it('refuses a journal of another run, naming the field', () => {
    const path = journalFile();
    new SampleJournal(path, identity, opts).close();
    const other = { ...identity, sampling: { ...identity.sampling, temperature: 0.8 } };
    expect(() => new SampleJournal(path, other, opts)).toThrow(/sampling\.temperature is 0 there, 0\.8 here/);
  });

  it('names a bad line (the issue\'s "code": null with a "pred") by its number; --repair drops it and runs that problem again', () => {
    const path = journalFile();
    const j = new SampleJournal(path, identity, opts);
    j.append({ idx: 0, code: ['a'] });
    j.append({ idx: 1, code: ['b'] });
    j.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    // a line that keeps the checksum format but whose content breaks the schema
    lines[2] = encodeCheckedLine({ kind: 'sample', idx: 1, code: null, pred: { x: 1 } }).trimEnd();
    writeFileSync(path, lines.join('\n'));
    expect(() => new SampleJournal(path, identity, opts)).toThrow(/bad journal line 3: /);
    // a line edited by hand fails its checksum
    lines[2] = lines[2]!.replace('"idx":1', '"idx":2');
    writeFileSync(path, lines.join('\n'));
    expect(() => new SampleJournal(path, identity, opts)).toThrow(/bad journal line 3: checksum mismatch/);
    const warnings: string[] = [];
    const r = new SampleJournal(path, identity, { ...opts, repair: true, warn: (l) => warnings.push(l) });
    expect([r.has(0), r.has(1)]).toEqual([true, false]);
    expect(warnings).toEqual([expect.stringContaining(':3: dropped a bad journal line')]);
    r.close();
  });
});
