import { Command } from 'commander';
import { initBackend } from '../../backend/index.ts';
import { loadCheckpoint } from '../../checkpoint/load.ts';
import { checkParity, readExpected } from '../../checkpoint/parity.ts';

/** `pnpm core check <ckpt-dir> <expected.json>`: the model against a dump from PyTorch. */
export default new Command('check')
  .description('load a checkpoint and compare logits, per-token losses, mean loss and the greedy continuation with a PyTorch dump (expected.json)')
  .argument('<ckpt-dir>', 'Hugging Face checkpoint directory (config.json, model.safetensors)')
  .argument('<expected>', 'expected.json in the format of ../shared/fixtures/tiny-llama/expected.json')
  .option('--json', 'print the result as one JSON object on the last line')
  .action(async (dir: string, expectedPath: string, opts: { json?: boolean }) => {
    const backend = await initBackend();
    const expected = readExpected(expectedPath);
    const { model, weightDtype } = await loadCheckpoint(dir);
    try {
      const rows = checkParity(model, expected, weightDtype);
      const w = Math.max(...rows.map((r) => r.quantity.length));
      process.stdout.write(`checkpoint ${dir} (weights ${weightDtype}, backend ${backend})\n`);
      for (const r of rows) {
        const err = Number.isInteger(r.maxAbsError) && r.tolerance === 0 ? String(r.maxAbsError) : r.maxAbsError.toExponential(3);
        const tol = r.tolerance === 0 ? '0' : r.tolerance.toExponential(1);
        process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.quantity.padEnd(w)}  max abs error ${err.padStart(9)}  tolerance ${tol}${r.note ? `  (${r.note})` : ''}\n`);
      }
      const failed = rows.filter((r) => !r.ok);
      process.stdout.write(failed.length ? `FAILED: ${failed.map((r) => r.quantity).join(', ')} beyond tolerance\n` : 'all within tolerance\n');
      if (opts.json) process.stdout.write(JSON.stringify({ ok: failed.length === 0, weightDtype, backend, rows }) + '\n');
      if (failed.length) process.exitCode = 1;
    } finally {
      model.dispose();
    }
  });
