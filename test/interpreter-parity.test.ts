/**
 * Interpreter parity: every program of the Rho-Math-7B-interpreter GSM8K outputs, re-executed
 * in the sandbox, reproduces the ```output``` block the authors' Python harness recorded, for at
 * least 98% of programs. Real parts: the reference file, python3 + sympy, bubblewrap where it works.
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJsonl, REPO_ROOT } from '@rho/core';
import { PythonSandbox, recordedRounds } from '@rho/eval';

const dataDir = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');
const file = resolve(dataDir, 'reference-outputs/rho-math-7b-interpreter-v0.1/gsm8k/test_tora_-1_seed0_t0.0_s0_e-1.jsonl');

describe('sandboxed re-execution of the GSM8K reference programs', () => {
  // Programs mostly wait on process start-up, not CPU: more servers than cores keeps the run short.
  const sandbox = new PythonSandbox({ concurrency: 6 });
  afterAll(() => sandbox.dispose());

  it('reproduces the recorded output of at least 98% of the programs', async () => {
    const rows = (await readJsonl(file)) as Array<{ idx: number; code: string[] }>;
    const rounds = rows.flatMap((r) => recordedRounds(r.code[0] ?? '').map((round, k) => ({ idx: r.idx, k, ...round })));
    expect(rounds.length).toBeGreaterThanOrEqual(1319);
    const results = await sandbox.runBatch(
      rounds.map((r) => r.program.code),
      'tora',
    );
    const differ = rounds.map((r, i) => ({ ...r, got: results[i]! })).filter((r) => r.got.output !== r.output);
    for (const d of differ) console.log(`idx ${d.idx} round ${d.k}: recorded ${JSON.stringify(d.output)}, got ${JSON.stringify(d.got.output)}`);
    console.log(`isolation ${results[0]!.isolation}: ${rounds.length - differ.length}/${rounds.length} programs reproduce their recorded output`);
    expect(results.every((r) => r.isolation === results[0]!.isolation)).toBe(true);
    expect(differ.length / rounds.length).toBeLessThanOrEqual(0.02);
  }, 600_000);
});
