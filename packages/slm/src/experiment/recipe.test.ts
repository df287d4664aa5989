import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RECIPE, loadRecipe } from './recipe.ts';

const tmp = mkdtempSync(join(tmpdir(), 'slm-recipe-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('experiment recipe', () => {
  it('loads both committed presets, with disjoint document counts that fit GSM8K train', () => {
    for (const name of ['smoke', 'full']) {
      const r = loadRecipe(DEFAULT_RECIPE, name);
      expect(r.preset.ratio).toBe(0.6);
      expect(r.preset.docs.reference + r.preset.docs.train + r.preset.docs.val).toBeLessThanOrEqual(7473);
      expect(r.preset.train.seqLen).toBeGreaterThan(1);
    }
  });

  it('rejects an unknown preset and unknown keys', () => {
    expect(() => loadRecipe(DEFAULT_RECIPE, 'huge')).toThrow(/no preset "huge"/);
    const raw = JSON.parse(readFileSync(DEFAULT_RECIPE, 'utf8'));
    raw.presets.smoke.train.stpes = 3;
    const f = join(tmp, 'r.json');
    writeFileSync(f, JSON.stringify(raw));
    expect(() => loadRecipe(f, 'smoke')).toThrow(/stpes|Unrecognized/);
    raw.presets.smoke.train.stpes = undefined;
    raw.presets.smoke.ratio = 0;
    writeFileSync(f, JSON.stringify(raw));
    expect(() => loadRecipe(f, 'smoke')).toThrow(/ratio/);
  });
});
