/**
 * `pnpm bench backend [--json] [--iters N]`: the backend's matmul peak (1024², GFLOPS) and one
 * forward+backward of a SwiGLU MLP block at the `small` preset's size (2048 tokens, d 384, ffn 1024).
 * RHO_BACKEND picks the backend; RHO_NATIVE=0 measures tfjs's own matmul for a before/after;
 * RHO_PRECISION=fp32|bf16 the products' precision (default auto: bf16 where the CPU has it).
 */
import { initBackendInfo, matmulPeakGflops, positiveInt, timeMlpBlock } from '@rho/core';
import { printBenchResult } from './_table.ts';

// the root has no dependencies of its own, so arguments are read by hand
const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log('usage: pnpm bench backend [--json] [--iters N]\n  env RHO_BACKEND=cpu|wasm|..., RHO_NATIVE=0 for tfjs matmul, RHO_PRECISION=fp32|bf16|auto');
  process.exit(0);
}
const itersAt = args.indexOf('--iters');
const opts = { json: args.includes('--json'), iters: itersAt >= 0 ? (args[itersAt + 1] ?? '3') : '3' };

const info = await initBackendInfo();
const gflops = await matmulPeakGflops(1024, 5);
const mlp = timeMlpBlock(8 * 256, 384, 1024, positiveInt('--iters')(opts.iters));

printBenchResult(
  `backend: ${info.name}, matmul: ${info.matmul}${info.isa ? ` (${info.isa})` : ''}, ${info.precision}`,
  [
    ['matmul 1024² GFLOPS', gflops],
    ['MLP block fwd+bwd ms', mlp.ms],
    ['MLP block GFLOPS', mlp.gflops],
  ],
  {
    backend: info.name,
    matmul: info.matmul,
    isa: info.isa ?? null,
    precision: info.precision,
    matmul_gflops: gflops,
    mlp_fwd_bwd_ms: mlp.ms,
    mlp_gflops: mlp.gflops,
  },
  Boolean(opts.json),
);
