import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareToBaseline, loadBaseline, makeBaseline, requireMetrics, writeBaseline, type Baseline } from './baseline.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rho-gate-baseline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const measured = { date: '2026-12-06', isa: 'avx512_bf16', backend: 'test' };
const rules = (m: string) =>
  m.endsWith('loss')
    ? { tolerance: 0.02, better: 'lower' as const }
    : m.endsWith('acc')
      ? { tolerance: 5, better: 'higher' as const }
      : { tolerance: 0, better: 'equal' as const };

describe('gate baseline', () => {
  const base = makeBaseline('r', { 'clm.val_loss': 0.5, 'slm.tora_acc': 60, 'slm.tokens': 1000 }, rules, measured);

  it('passes within tolerance, fails beyond it in the worse direction only', () => {
    const rows = compareToBaseline(base, { 'clm.val_loss': 0.515, 'slm.tora_acc': 70, 'slm.tokens': 1000 });
    expect(rows.map((r) => r.status)).toEqual(['pass', 'improved', 'pass']);
    const bad = compareToBaseline(base, { 'clm.val_loss': 0.53, 'slm.tora_acc': 54, 'slm.tokens': 999 });
    expect(bad.map((r) => r.status)).toEqual(['FAIL', 'FAIL', 'FAIL']);
    expect(compareToBaseline(base, { 'clm.val_loss': Number.NaN, 'slm.tora_acc': 60, 'slm.tokens': 1000 })[0]!.status).toBe('FAIL');
  });

  it('an update keeps reviewed tolerances and adds rules for new metrics', () => {
    const edited: Baseline = { ...base, metrics: { ...base.metrics, 'clm.val_loss': { value: 0.5, tolerance: 0.1, better: 'lower' } } };
    const next = makeBaseline('r', { 'clm.val_loss': 0.4, 'ref.cot_acc': 3 }, rules, measured, edited);
    expect(next.metrics['clm.val_loss']).toEqual({ value: 0.4, tolerance: 0.1, better: 'lower' });
    expect(next.metrics['ref.cot_acc']).toEqual({ value: 3, tolerance: 5, better: 'higher' });
  });

  it('a baseline missing a metric, or not fitting the schema, is an error naming it and the file', () => {
    const file = join(tmp, 'b.json');
    writeBaseline(file, base);
    const loaded = loadBaseline(file);
    expect(loaded.metrics['slm.tokens']!.value).toBe(1000);
    requireMetrics(loaded, ['clm.val_loss'], file);
    expect(() => requireMetrics(loaded, ['clm.val_loss', 'ref.val_loss'], file)).toThrow(/no value for ref\.val_loss/);
    writeFileSync(file, JSON.stringify({ ...base, metrics: { x: { value: 'high', tolerance: 0, better: 'equal' } } }));
    expect(() => loadBaseline(file)).toThrow(/schema/);
    expect(() => loadBaseline(join(tmp, 'none.json'))).toThrow(/no baseline/);
  });
});
