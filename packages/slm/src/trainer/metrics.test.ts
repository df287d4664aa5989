import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendMetrics, readMetrics, truncateMetrics, type StepRow } from './metrics.ts';

const row = (step: number, extra: Partial<StepRow> = {}): StepRow => ({
  step,
  mode: 'slm',
  loss: 2.5 - step / 10,
  loss_all: 2.6,
  loss_selected: 2.5,
  selected_frac: 0.6,
  excess_mean: 0.1,
  lr: 1e-3,
  grad_norm: 0.9,
  tokens: 128,
  tokens_seen: 128 * step,
  tokens_per_s: 1000 + step,
  ...extra,
});

const fresh = () => join(mkdtempSync(join(tmpdir(), 'metrics-')), 'metrics.jsonl');

describe('metrics.jsonl', () => {
  it('rows carry a checksum, read back as written, and a resume keeps those up to the checkpoint', () => {
    const file = fresh();
    for (let s = 1; s <= 4; s++) appendMetrics(file, row(s, s === 3 ? { val_loss: 2.2 } : {}));
    expect(readFileSync(file, 'utf8').split('\n')[0]).toMatch(/^\{"sum":"[0-9a-f]{16}","step":1,/);
    expect(readMetrics(file)).toEqual([1, 2, 3, 4].map((s) => row(s, s === 3 ? { val_loss: 2.2 } : {})));
    truncateMetrics(file, 2);
    expect(readMetrics(file).map((r) => r.step)).toEqual([1, 2]);
  });

  it('drops a row torn by a kill; a changed row, a row outside the schema or out of order is an error naming file and line', () => {
    const file = fresh();
    appendMetrics(file, row(1));
    appendMetrics(file, row(2));
    appendFileSync(file, '{"sum":"0123');
    expect(readMetrics(file, { readOnly: true }).map((r) => r.step)).toEqual([1, 2]);
    expect(readMetrics(file).map((r) => r.step)).toEqual([1, 2]);

    const [a, b] = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, `${a}\n${b!.replace('"step":2', '"step":3')}\n`);
    expect(() => readMetrics(file)).toThrow(/bad journal line 2: checksum mismatch/);

    writeFileSync(file, '');
    appendMetrics(file, row(1));
    appendMetrics(file, row(2, { selected_frac: 1.5 }));
    expect(() => readMetrics(file)).toThrow(/bad journal line 2: selected_frac/);

    writeFileSync(file, '');
    appendMetrics(file, row(1));
    appendMetrics(file, row(3));
    expect(() => readMetrics(file)).toThrow(/bad journal line 2: step 3 where step 2 belongs/);
  });
});
