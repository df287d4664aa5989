/**
 * `pnpm bench interpreter [--json] [--limit N] [--concurrency C]`: programs/s re-executing the
 * programs of the Rho-Math-7B-interpreter GSM8K reference outputs, in the sandbox (fork server
 * inside bubblewrap) and in a bare python3 subprocess per program, side by side, plus how many
 * reproduce their recorded output. Needs RHO_DATA_DIR (or data/upstream) with reference-outputs/.
 */
import { join } from 'node:path';
import { positiveInt, readJsonl, resolveDataDir } from '@rho/core';
import { findPython, PythonSandbox, recordedRounds, runBareBatch } from '@rho/eval';
import { printBenchResult } from './_table.ts';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log('usage: pnpm bench interpreter [--json] [--limit N] [--concurrency C] [--data-dir DIR]');
  process.exit(0);
}
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const asJson = args.includes('--json');
const concurrency = positiveInt('--concurrency')(opt('--concurrency') ?? '2');
const file = join(resolveDataDir(opt('--data-dir')), 'reference-outputs/rho-math-7b-interpreter-v0.1/gsm8k/test_tora_-1_seed0_t0.0_s0_e-1.jsonl');
const rows = (await readJsonl(file)) as Array<{ code: string[] }>;
let rounds = rows.flatMap((r) => recordedRounds(r.code[0] ?? ''));
const limitN = opt('--limit');
if (limitN) rounds = rounds.slice(0, positiveInt('--limit')(limitN));
const codes = rounds.map((r) => r.program.code);

const py = await findPython();
const sandbox = new PythonSandbox({ concurrency });
let t = performance.now();
const isolation = await Promise.all(Array.from({ length: concurrency }, () => sandbox.isolation())).then((l) => l[0]!);
const startupS = (performance.now() - t) / 1000;
t = performance.now();
const boxed = await sandbox.runBatch(codes, 'tora');
const sandboxS = (performance.now() - t) / 1000;
await sandbox.dispose();

t = performance.now();
const bare = await runBareBatch(py.executable, codes, 'tora', 5, concurrency);
const bareS = (performance.now() - t) / 1000;

const same = (rs: Array<{ output: string }>) => rs.filter((r, i) => r.output === rounds[i]!.output).length;
const n = codes.length;
const sandboxRate = n / sandboxS;
const bareRate = n / bareS;
printBenchResult(
  `interpreter: ${n} GSM8K reference programs, concurrency ${concurrency}, python ${py.version}`,
  [
    ['isolation', isolation],
    ['sandbox startup (s)', startupS],
    ['sandbox programs/s', sandboxRate],
    ['bare python3 programs/s', bareRate],
    ['sandbox cost / bare cost', bareRate / sandboxRate],
    ['sandbox reproduces recorded output', `${same(boxed)}/${n}`],
    ['bare reproduces recorded output', `${same(bare)}/${n}`],
  ],
  {
    programs: n,
    concurrency,
    isolation,
    startup_s: startupS,
    sandbox_programs_per_s: sandboxRate,
    bare_programs_per_s: bareRate,
    cost_ratio: bareRate / sandboxRate,
    sandbox_same: same(boxed),
    bare_same: same(bare),
  },
  asJson,
);
