import { Command, Option } from 'commander';
import { RhoError } from '../../errors.ts';
import { checkParity, greedyReference, readExpected, type ParityRow } from '../../checkpoint/parity.ts';
import { CHECK_ENGINES, enginesToCheck, openCausalLm, PRECISION_CHOICES } from '../../engine/open.ts';
import { nativeEngineUnavailable } from '../../engine/native-lm.ts';
import type { GpuChoice, Precision } from '../../engine/types.ts';
import { GPU_CHOICES } from '../../engine/llama-cpp/llama-cpp-lm.ts';
import { lastPositionWithinWindow } from '../../engine/llama-cpp/window.ts';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** `pnpm core check <ckpt-dir> <expected.json>`: the model against a dump from PyTorch, on each engine. */
export default new Command('check')
  .description(
    'load a checkpoint and compare logits, per-token losses, mean loss and the greedy continuation with a PyTorch dump (expected.json), on the tfjs engine, the native engine, both, or llama.cpp',
  )
  .argument('<ckpt-dir>', 'Hugging Face checkpoint directory (config.json, model.safetensors or a sharded index), or a GGUF file')
  .argument(
    '<expected>',
    "expected.json in the format of ../shared/fixtures/tiny-llama/expected.json; a BF16 checkpoint's own greedy.json, when it has one, is the greedy reference",
  )
  .addOption(
    new Option(
      '--engine <engine>',
      'engines to check: both, native, tfjs, llama.cpp (a GGUF file, or the directory converted to one), or auto (a GGUF file: llama.cpp; a directory: both where the native engine is available, else tfjs; default $RHO_ENGINE, else auto)',
    ).choices(CHECK_ENGINES as string[]),
  )
  .addOption(
    new Option('--gpu <gpu>', 'llama.cpp engine: where it runs (auto: the best GPU backend found, else the CPU)')
      .choices(GPU_CHOICES as string[])
      .default('auto'),
  )
  // fp32 by default, unlike the commands that run models for their output: the dump's tolerances are for FP32 arithmetic
  .addOption(
    new Option(
      '--precision <p>',
      'matmul arithmetic: fp32, bf16 (BF16 inputs, FP32 accumulation; logit tolerances widened by 2^-7 of the largest logit) or auto (bf16 where the CPU has BF16 instructions)',
    )
      .choices(PRECISION_CHOICES as string[])
      .default('fp32'),
  )
  .option('--json', 'print the result as one JSON object on the last line')
  .action(async (dir: string, expectedPath: string, opts: { engine?: string; precision: Precision; gpu: GpuChoice; json?: boolean }) => {
    const expected = readExpected(expectedPath);
    const gguf = existsSync(dir) && statSync(dir).isFile();
    const { engines, skipped } =
      gguf && (opts.engine ?? 'auto') === 'auto'
        ? { engines: ['llama.cpp' as const], skipped: undefined }
        : enginesToCheck(opts.engine, process.env, () => nativeEngineUnavailable());
    if (engines.includes('native')) {
      // ask before loading anything, so `--engine both` where native cannot run fails at once
      const why = nativeEngineUnavailable();
      if (why !== null)
        throw new RhoError('UNSUPPORTED', `the native engine cannot run: ${why}`, { field: 'engine', hint: 'use --engine tfjs or --engine auto' });
    }
    const rows: ParityRow[] = [];
    const ran: { engine: string; precision: string; description: string }[] = [];
    let weightDtype = '';
    for (const engine of engines) {
      const opened = await openCausalLm(dir, { engine, precision: opts.precision, gpu: opts.gpu });
      try {
        const { lm } = opened;
        if (!weightDtype) process.stdout.write(`checkpoint ${dir} (weights ${opened.weightDtype})\n`);
        weightDtype = opened.weightDtype;
        ran.push({ engine: lm.engine, precision: lm.precision, description: lm.description });
        process.stdout.write(`${lm.description}\n`);
        // llama.cpp runs a Mistral checkpoint without its window: compared within it
        const maxLength = lm.engine === 'llama.cpp' ? lastPositionWithinWindow(lm.config) + 1 : undefined;
        const mine = checkParity(lm, expected, opened.weightDtype, {
          greedy: greedyReference(gguf ? dirname(dir) : dir, expected, opened.weightDtype, expectedPath),
          maxLength,
        });
        printRows(mine);
        rows.push(...mine);
      } finally {
        opened.lm.dispose();
      }
    }
    if (skipped) process.stdout.write(`native engine not checked: ${skipped}\n`);
    const failed = rows.filter((r) => !r.ok);
    process.stdout.write(
      failed.length ? `FAILED: ${failed.map((r) => `${r.quantity} (${r.engine})`).join(', ')} beyond tolerance\n` : 'all within tolerance\n',
    );
    if (opts.json) process.stdout.write(`${JSON.stringify({ ok: failed.length === 0, weightDtype, engines: ran, nativeSkipped: skipped ?? null, rows })}\n`);
    if (failed.length) process.exitCode = 1;
  });

function printRows(rows: ParityRow[]): void {
  const w = Math.max(...rows.map((r) => r.quantity.length));
  for (const r of rows) {
    const err = Number.isInteger(r.maxAbsError) && r.tolerance === 0 ? String(r.maxAbsError) : r.maxAbsError.toExponential(3);
    const tol = r.tolerance === 0 ? '0' : r.tolerance.toExponential(1);
    process.stdout.write(
      `${r.ok ? 'ok  ' : 'FAIL'} ${r.quantity.padEnd(w)}  max abs error ${err.padStart(9)}  tolerance ${tol}${r.note ? `  (${r.note})` : ''}\n`,
    );
  }
}
