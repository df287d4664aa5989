import * as tf from '@tensorflow/tfjs-core';
import { bridgeMissingWasmKernels } from './bridge.ts';
import { registerAllGradients } from './gradients.ts';
import { nativeAdamWKernel } from './adamw-kernel.ts';
import { nativeCrossEntropyKernels } from './cross-entropy-kernel.ts';
import { gemmCaps, nativeMatmulKernels } from './matmul-kernel.ts';
import { loadNativeKernels, nativeDecoderUnavailable } from './native.ts';
import { activePrecision, setPrecision, type Precision, type ResolvedPrecision } from './precision.ts';
import { DEFAULT_CANDIDATES, selectBackend, type BackendCandidate } from './select.ts';

export { candidatesFor, DEFAULT_CANDIDATES, selectBackend, type BackendCandidate } from './select.ts';
export { missingKernels } from './bridge.ts';
export { loadNativeKernels, nativeDecoderUnavailable, NATIVE_ADDON_PATH, type NativeLoad } from './native.ts';
export { NATIVE_ADDON_VERSION, type DnnlInfo, type NativeHandle, type NativeKernels, type NativeTrainApi } from './native-kernels.ts';
export {
  activePrecision,
  bf16Unavailable,
  parsePrecision,
  PRECISIONS,
  requestedPrecision,
  resetPrecision,
  resolvePrecision,
  setPrecision,
  type ResolvedPrecision,
} from './precision.ts';
export { routeGemm, type GemmRoute } from './matmul-kernel.ts';
export { planBatchMatmul } from './batch-offsets.ts';
export { matmulPeakGflops } from './peak.ts';
export { timeMlpBlock, type MlpBlockTiming } from './bench.ts';
export { registerAllGradients } from './gradients.ts';
export { sparseCrossEntropy } from './cross-entropy.ts';

export interface BackendInfo {
  /** tfjs backend name: tensorflow, wasm or cpu */
  name: string;
  /** which candidate provided it (tfjs-node-gpu, tfjs-node, wasm, cpu) */
  id: string;
  /**
   * Who runs BatchMatMul: 'onednn' (the addon's oneDNN, BF16 or FP32 by `precision`, OpenBLAS for
   * small products), 'openblas' (an addon built without oneDNN), or 'tfjs' (the backend's own)
   */
  matmul: 'onednn' | 'openblas' | 'tfjs';
  /** the ISA oneDNN dispatches to, when matmul is 'onednn' */
  isa?: string;
  /** the arithmetic of the products: bf16 only with matmul 'onednn' on a CPU with native BF16 */
  precision: ResolvedPrecision;
  /** why the native matmul is not in use, when it is not */
  nativeReason?: string;
  /** kernels registered on wasm through the cpu bridge */
  bridged: string[];
  skipped: { id: string; reason: string }[];
}

export interface InitBackendOptions {
  /** defaults to process.env; reads RHO_BACKEND, RHO_NATIVE, RHO_PRECISION, RHO_THREADS and RHO_BLAS_THREADS */
  env?: NodeJS.ProcessEnv;
  candidates?: readonly BackendCandidate[];
  /** where the one `backend: ...` line goes; defaults to stderr */
  log?: (line: string) => void;
  /** the products' precision (a CLI's --precision); else RHO_PRECISION, else auto */
  precision?: Precision;
}

let current: Promise<BackendInfo> | undefined;
const nativeInstalled = new Set<string>();
let bridgedWasm: string[] | undefined;

/**
 * Installs our kernels on the active backend: bridges for what wasm lacks, and the addon's matmul
 * (oneDNN in the precision in effect, OpenBLAS where oneDNN is not built in) on cpu/wasm unless
 * RHO_NATIVE=0. Idempotent per backend: registrations are global to tfjs.
 */
export function installBackendKernels(name: string, env: NodeJS.ProcessEnv = process.env): Pick<BackendInfo, 'matmul' | 'nativeReason' | 'bridged' | 'isa'> {
  let bridged: string[] = [];
  if (name === 'wasm') {
    bridgedWasm ??= bridgeMissingWasmKernels();
    bridged = bridgedWasm;
  }
  if (name !== 'cpu' && name !== 'wasm') return { matmul: 'tfjs', bridged };
  if (nativeInstalled.has(name)) return { ...nativeMatmul(), bridged };
  if (env.RHO_NATIVE === '0') return { matmul: 'tfjs', nativeReason: 'disabled by RHO_NATIVE=0', bridged };
  const native = loadNativeKernels();
  if (!native.ok) return { matmul: 'tfjs', nativeReason: native.reason, bridged };
  const original = (kernel: string) => tf.getKernel(kernel, name);
  const fallback = { batchMatMul: original(tf.BatchMatMul), fusedMatMul: original(tf._FusedMatMul) };
  // the precision is read per product: settled at initBackend, switchable later (bench core)
  const precision = () => activePrecision({ backend: name, env });
  for (const config of nativeMatmulKernels(name, native.kernels, fallback, { precision })) {
    tf.unregisterKernel(config.kernelName, name);
    tf.registerKernel(config);
  }
  // kernels under new names: sparseCrossEntropy and AdamW use them when registered
  const extra = [...nativeCrossEntropyKernels(name, native.kernels), nativeAdamWKernel(name, native.kernels)];
  for (const config of extra) if (!tf.getKernel(config.kernelName, name)) tf.registerKernel(config);
  nativeInstalled.add(name);
  // OpenBLAS and OpenMP (oneDNN) use every core by default; RHO_THREADS caps both (say, beside
  // other jobs), RHO_BLAS_THREADS OpenBLAS alone
  const threads = positive(env.RHO_THREADS);
  const openblasThreads = positive(env.RHO_BLAS_THREADS) ?? threads;
  if (openblasThreads) native.kernels.threads(openblasThreads);
  if (threads) native.kernels.dnnlThreads(threads);
  return { ...nativeMatmul(), bridged };
}

function positive(v: string | undefined): number | undefined {
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** oneDNN or OpenBLAS, for an addon that loaded. */
function nativeMatmul(): Pick<BackendInfo, 'matmul' | 'isa'> {
  const native = loadNativeKernels();
  if (!native.ok || !gemmCaps(native.kernels).onednn) return { matmul: 'openblas' };
  return { matmul: 'onednn', isa: native.kernels.dnnlInfo().isa };
}

function describe(info: BackendInfo, threads?: number, decoder?: string): string {
  const lib = info.matmul === 'onednn' ? `oneDNN ${info.isa}` : 'OpenBLAS';
  const matmul =
    info.matmul !== 'tfjs'
      ? `matmul: ${lib}, ${info.precision}${threads ? `, ${threads} threads` : ''}${decoder ? `; ${decoder}` : ''}`
      : info.nativeReason
        ? `matmul: tfjs (${info.nativeReason})`
        : '';
  const extra = info.id !== info.name ? info.id : '';
  const detail = [extra, matmul].filter(Boolean).join('; ');
  return `backend: ${info.name}${detail ? ` (${detail})` : ''}`;
}

/**
 * Picks and activates the tfjs backend: tfjs-node-gpu, tfjs-node, wasm, then cpu (RHO_BACKEND
 * overrides), registers the kernels it lacks, and prints `backend: <name>` to stderr once per
 * process. Resolves to the tfjs backend name. Later calls return the first call's result.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<string> {
  return (await initBackendInfo(options)).name;
}

export function initBackendInfo(options: InitBackendOptions = {}): Promise<BackendInfo> {
  current ??= (async () => {
    const env = options.env ?? process.env;
    if (options.precision) setPrecision(options.precision);
    // PROD silences tfjs's console advice (the cpu backend's "install tfjs-node" banner); the
    // backend in use is reported by our own line below.
    tf.env().set('PROD', true);
    await registerAllGradients();
    const { candidate, skipped } = await selectBackend(env.RHO_BACKEND, options.candidates ?? DEFAULT_CANDIDATES);
    const name = tf.getBackend();
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const kernels = installBackendKernels(name, env);
    // decided here, once, so that a bf16 request that cannot be met says so before the backend line
    const precision = activePrecision({ backend: name, env, log });
    const info: BackendInfo = { name, id: candidate.id, skipped, ...kernels, precision };
    const threads = info.matmul !== 'tfjs' ? loadNativeKernels() : undefined;
    // what generate's default ('auto') decoder will be (see generate/native-decoder.ts)
    const why = nativeDecoderUnavailable(name, env);
    const decoder = threads?.ok ? `decoding: ${why === null ? 'native' : `tfjs (${why})`}` : undefined;
    const count = threads?.ok ? (info.matmul === 'onednn' ? threads.kernels.dnnlThreads() : threads.kernels.threads()) : undefined;
    log(describe(info, count, decoder));
    return info;
  })();
  // a failed selection may be retried (for instance after fixing RHO_BACKEND)
  current.catch(() => {
    current = undefined;
  });
  return current;
}

/** Forgets the selection so the next initBackend selects again. For tests. */
export function resetBackendSelection(): void {
  current = undefined;
}
