import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { metricsFile, runFactsBeside } from './metrics-file.ts';

const grading = { num_samples: 2, num_scores: 2, timeout_samples: 1, empty_samples: 0, acc: 50 };

describe('metrics file', () => {
  it("keeps the run's own figures from the file beside the outputs, in their order, after the new grading result", () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrics-'));
    const outputs = join(dir, 'test_cot_2_seed0_t0.0_s0_e-1.jsonl');
    writeFileSync(
      join(dir, 'test_cot_2_seed0_t0.0_s0_e-1_cot_metrics.json'),
      JSON.stringify({ ...grading, acc: 0, type_acc: { a: 0 }, time_use_in_second: 1.5, model: 'm', isolation: ['bwrap'] }),
    );
    const run = runFactsBeside(outputs, 'cot');
    expect(run).toEqual({ time_use_in_second: 1.5, model: 'm', isolation: ['bwrap'] });
    expect(Object.keys(metricsFile(grading, run))).toEqual([
      'num_samples',
      'num_scores',
      'timeout_samples',
      'empty_samples',
      'acc',
      'time_use_in_second',
      'model',
      'isolation',
    ]);
  });

  it('has no run figures without a metrics file, and names a malformed one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrics-'));
    expect(runFactsBeside(join(dir, 'test_cot_2_seed0_t0.0_s0_e-1.jsonl'), 'cot')).toEqual({});
    const bad = join(dir, 'test_tora_2_seed0_t0.0_s0_e-1_tora_metrics.json');
    writeFileSync(bad, '{"acc": ');
    expect(() => runFactsBeside(join(dir, 'test_tora_2_seed0_t0.0_s0_e-1.jsonl'), 'tora')).toThrow(/malformed metrics file/);
  });
});
