import * as tf from '@tensorflow/tfjs-core';
import { bridgeMissingWasmKernels } from './bridge.ts';
import { registerAllGradients } from './gradients.ts';
import { nativeAdamWKernel } from './adamw-kernel.ts';
import { nativeCrossEntropyKernels } from './cross-entropy-kernel.ts';
import { nativeMatmulKernels } from './matmul-kernel.ts';
import { loadNativeBlas, nativeDecoderUnavailable } from './native.ts';
import { DEFAULT_CANDIDATES, selectBackend, type BackendCandidate } from './select.ts';

export { candidatesFor, DEFAULT_CANDIDATES, selectBackend, type BackendCandidate } from './select.ts';
export { missingKernels } from './bridge.ts';
export { loadNativeBlas, nativeDecoderUnavailable, NATIVE_ADDON_PATH, type NativeBlas, type NativeHandle } from './native.ts';
export { planBatchMatmul } from './batch-offsets.ts';
export { matmulPeakGflops } from './peak.ts';
export { registerAllGradients } from './gradients.ts';
export { sparseCrossEntropy } from './cross-entropy.ts';

export interface BackendInfo {
  /** tfjs backend name: tensorflow, wasm or cpu */
  name: string;
  /** which candidate provided it (tfjs-node-gpu, tfjs-node, wasm, cpu) */
  id: string;
  /** 'openblas' when BatchMatMul runs on the native addon, else 'tfjs' */
  matmul: 'openblas' | 'tfjs';
  /** why the native matmul is not in use, when it is not */
  nativeReason?: string;
  /** kernels registered on wasm through the cpu bridge */
  bridged: string[];
  skipped: { id: string; reason: string }[];
}

export interface InitBackendOptions {
  /** defaults to process.env; reads RHO_BACKEND and RHO_NATIVE */
  env?: NodeJS.ProcessEnv;
  candidates?: readonly BackendCandidate[];
  /** where the one `backend: ...` line goes; defaults to stderr */
  log?: (line: string) => void;
}

let current: Promise<BackendInfo> | undefined;
const nativeInstalled = new Set<string>();
let bridgedWasm: string[] | undefined;

/**
 * Installs our kernels on the active backend: bridges for what wasm lacks, and OpenBLAS matmul on
 * cpu/wasm unless RHO_NATIVE=0. Idempotent per backend: registrations are global to tfjs.
 */
export function installBackendKernels(name: string, env: NodeJS.ProcessEnv = process.env): Pick<BackendInfo, 'matmul' | 'nativeReason' | 'bridged'> {
  let bridged: string[] = [];
  if (name === 'wasm') {
    bridgedWasm ??= bridgeMissingWasmKernels();
    bridged = bridgedWasm;
  }
  if (name !== 'cpu' && name !== 'wasm') return { matmul: 'tfjs', bridged };
  if (nativeInstalled.has(name)) return { matmul: 'openblas', bridged };
  if (env.RHO_NATIVE === '0') return { matmul: 'tfjs', nativeReason: 'disabled by RHO_NATIVE=0', bridged };
  const native = loadNativeBlas();
  if (!native.ok) return { matmul: 'tfjs', nativeReason: native.reason, bridged };
  const original = (kernel: string) => tf.getKernel(kernel, name);
  const fallback = { batchMatMul: original(tf.BatchMatMul), fusedMatMul: original(tf._FusedMatMul) };
  for (const config of nativeMatmulKernels(name, native.blas, fallback)) {
    tf.unregisterKernel(config.kernelName, name);
    tf.registerKernel(config);
  }
  // kernels under new names: sparseCrossEntropy and AdamW use them when registered
  const { crossEntropyForward, crossEntropyBackward, adamwUpdate, threads: blasThreads } = native.blas;
  const extra = [
    ...(crossEntropyForward && crossEntropyBackward ? nativeCrossEntropyKernels(name, { crossEntropyForward, crossEntropyBackward, threads: blasThreads }) : []),
    ...(adamwUpdate ? [nativeAdamWKernel(name, { adamwUpdate, threads: blasThreads })] : []),
  ];
  for (const config of extra) if (!tf.getKernel(config.kernelName, name)) tf.registerKernel(config);
  nativeInstalled.add(name);
  // OpenBLAS uses every core by default; RHO_BLAS_THREADS caps it (say, beside other jobs)
  const threads = Number(env.RHO_BLAS_THREADS);
  if (Number.isInteger(threads) && threads > 0) native.blas.threads(threads);
  return { matmul: 'openblas', bridged };
}

function describe(info: BackendInfo, threads?: number, decoder?: string): string {
  const matmul = info.matmul === 'openblas' ? `matmul: OpenBLAS${threads ? `, ${threads} threads` : ''}${decoder ? `; ${decoder}` : ''}` : info.nativeReason ? `matmul: tfjs (${info.nativeReason})` : '';
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
    // PROD silences tfjs's console advice (the cpu backend's "install tfjs-node" banner); the
    // backend in use is reported by our own line below.
    tf.env().set('PROD', true);
    await registerAllGradients();
    const { candidate, skipped } = await selectBackend(env.RHO_BACKEND, options.candidates ?? DEFAULT_CANDIDATES);
    const name = tf.getBackend();
    const info: BackendInfo = { name, id: candidate.id, skipped, ...installBackendKernels(name, env) };
    const threads = info.matmul === 'openblas' ? loadNativeBlas() : undefined;
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    // what generate's default ('auto') decoder will be (see generate/native-decoder.ts)
    const why = nativeDecoderUnavailable(name, env);
    const decoder = threads?.ok ? `decoding: ${why === null ? 'native' : `tfjs (${why})`}` : undefined;
    log(describe(info, threads?.ok ? threads.blas.threads() : undefined, decoder));
    return info;
  })();
  // a failed selection may be retried (for instance after fixing RHO_BACKEND)
  current.catch(() => { current = undefined; });
  return current;
}

/** Forgets the selection so the next initBackend selects again. For tests. */
export function resetBackendSelection(): void {
  current = undefined;
}
