import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest, manifestGroups, selectEntries } from './manifest.ts';

const dir = mkdtempSync(join(tmpdir(), 'rho-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (path: string, group: string) => ({ path, group, url: `https://example.org/${path}`, sha256: 'a'.repeat(64), size: 1 });

describe('the project manifest', () => {
  const m = loadManifest();

  it('covers every dataset, the prompts, the corpus and the reference outputs', () => {
    expect(manifestGroups(m)).toEqual([
      'asdiv',
      'corpus',
      'gsm8k',
      'gsm_hard',
      'math',
      'mathqa',
      'mawps',
      'minerva_math',
      'mmlu_stem',
      'prompts',
      'reference-outputs',
      'sat_math',
      'svamp',
      'tabmwp',
    ]);
    expect(new Set(m.files.map((f) => f.path)).size).toBe(m.files.length);
  });

  it('pins the harness files to one commit', () => {
    const harness = m.files.filter((f) => f.url.includes('math-evaluation-harness'));
    expect(new Set(harness.map((f) => f.url.split('/')[5])).size).toBe(1);
    for (const f of harness) expect(f.url.endsWith(f.path)).toBe(true);
  });
});

describe('loadManifest / selectEntries', () => {
  it('selects by group or exact path', () => {
    const m = { files: [entry('data/a/test.jsonl', 'a'), entry('data/b/test.jsonl', 'b'), entry('prompts/x.md', 'prompts')] };
    expect(selectEntries(m, ['a', 'prompts/x.md']).map((f) => f.path)).toEqual(['data/a/test.jsonl', 'prompts/x.md']);
    expect(selectEntries(m)).toHaveLength(3);
  });

  it('rejects paths that leave the data directory and unknown keys', () => {
    const file = join(dir, 'm.json');
    writeFileSync(file, JSON.stringify({ files: [entry('../etc/passwd', 'x')] }));
    expect(() => loadManifest(file)).toThrow(/bad manifest/);
    writeFileSync(file, JSON.stringify({ files: [{ ...entry('data/a.jsonl', 'a'), sha: 'x' }] }));
    expect(() => loadManifest(file)).toThrow(/bad manifest/);
    writeFileSync(file, '{');
    expect(() => loadManifest(file)).toThrow(/not JSON/);
  });
});
