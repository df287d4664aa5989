import { describe, expect, it } from 'vitest';
import { formatOutputName, inferFromPath, metricsPathFor, parseOutputName } from './layout.ts';

describe('output layout', () => {
  it('parses the harness file name', () => {
    expect(parseOutputName('test_tora_-1_seed0_t0.0_s0_e-1.jsonl')).toEqual({
      split: 'test',
      promptType: 'tora',
      numTestSample: -1,
      seed: 0,
      temperature: '0.0',
      start: 0,
      end: -1,
    });
  });
  it('keeps underscores inside the prompt type', () => {
    expect(parseOutputName('test_wizard_zs_500_seed1_t0.7_s10_e20.jsonl')?.promptType).toBe('wizard_zs');
  });
  it('round-trips through format', () => {
    const name = 'test_cot_100_seed3_t1.0_s0_e100.jsonl';
    expect(formatOutputName(parseOutputName(name)!)).toBe(name);
  });
  it('rejects names outside the layout', () => {
    expect(parseOutputName('outputs.jsonl')).toBeUndefined();
    expect(inferFromPath('/x/outputs.jsonl')).toEqual({ data: undefined, promptType: undefined });
  });
  it('infers dataset from the parent folder', () => {
    expect(inferFromPath('/runs/rho/minerva_math/test_cot_-1_seed0_t0.0_s0_e-1.jsonl')).toEqual({ data: 'minerva_math', promptType: 'cot' });
  });
  it('names the metrics file as the harness does', () => {
    expect(metricsPathFor('/a/gsm8k/test_cot_-1_seed0_t0.0_s0_e-1.jsonl', 'cot')).toBe('/a/gsm8k/test_cot_-1_seed0_t0.0_s0_e-1_cot_metrics.json');
  });
});
