import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The N-API addon built from packages/core/native (see native/build.mjs). */
export interface NativeBlas {
  /**
   * For each batch i: c[i*m*n ..] (m x n, row-major) = op(a at aOffsets[i]) · op(b at bOffsets[i]),
   * op = transpose when the flag is set. Runs synchronously on OpenBLAS's threads.
   */
  sgemmBatched(
    a: Float32Array, b: Float32Array, c: Float32Array,
    aOffsets: Int32Array, bOffsets: Int32Array,
    m: number, n: number, k: number, transA: boolean, transB: boolean,
  ): void;
  /** Sets OpenBLAS's thread count when given a positive number; returns the count in use. */
  threads(n?: number): number;
  // oneDNN (src/rho_dnnl.c); absent in an addon built from an older source. Without oneDNN in the
  // build they exist but report `ready: false` and the products throw.
  /** What oneDNN offers here: usable at all, native BF16 products, the ISA it dispatches to (or why it is absent), OpenMP threads. */
  dnnlInfo?(): DnnlInfo;
  /** Sets OpenMP's thread count (oneDNN's products, the engine's kernels) when n > 0; returns the count in effect. */
  dnnlThreads?(n?: number): number;
  /**
   * As sgemmBatched, through oneDNN: the FP32 operands are rounded to BF16 (round to nearest even)
   * and multiplied with FP32 accumulation. Throws where oneDNN has no native BF16.
   */
  gemmBf16Batched?(
    a: Float32Array, b: Float32Array, c: Float32Array,
    aOffsets: Int32Array, bOffsets: Int32Array,
    m: number, n: number, k: number, transA: boolean, transB: boolean,
  ): void;
  /** As sgemmBatched, through oneDNN's FP32 matmul. */
  gemmF32Batched?(
    a: Float32Array, b: Float32Array, c: Float32Array,
    aOffsets: Int32Array, bOffsets: Int32Array,
    m: number, n: number, k: number, transA: boolean, transB: boolean,
  ): void;
  /** dst[i] = src[i] rounded to BF16 bits (nearest even, NaN kept quiet); dst at least as long as src. */
  f32ToBf16?(src: Float32Array, dst: Uint16Array): void;
  /** dst[i] = the value of BF16 bits src[i]. */
  bf16ToF32?(src: Uint16Array, dst: Float32Array): void;
  // The native engine (src/rho_engine.c): its functions are typed in engine/native-api.ts. Absent
  // in an addon built from an older source, which is why this one is optional.
  engineForward?(...args: never[]): void;
  // Sparse softmax cross-entropy (src/rho_loss.c), rows split over `threads`; see cross-entropy-kernel.ts.
  crossEntropyForward?(x: Float32Array, targets: Int32Array, vocab: number, loss: Float32Array, lse: Float32Array, threads: number): void;
  crossEntropyBackward?(x: Float32Array, targets: Int32Array, lse: Float32Array, dy: Float32Array, vocab: number, dx: Float32Array, threads: number): void;
  // One AdamW step of one parameter (src/rho_optim.c); coefs [beta1, beta2, eps, decay, stepSize, bc2Sqrt].
  adamwUpdate?(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, pOut: Float32Array, mOut: Float32Array, vOut: Float32Array, coefs: Float64Array, threads: number): void;
}

export interface DnnlInfo {
  ready: boolean;
  bf16: boolean;
  /** e.g. `avx512_core_bf16`, `avx512_core_amx_bf16`; the reason when not ready (`oneDNN not built in`) */
  isa: string;
  threads: number;
}

/** An opaque native object (a model's decoding weights or a key/value cache). */
export type NativeHandle = { readonly __native: unique symbol };

export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../native/build/rho_blas.node', import.meta.url));

export type NativeLoad = { ok: true; blas: NativeBlas } | { ok: false; reason: string };

let cached: NativeLoad | undefined;

/**
 * Loads the addon once. Never throws: a machine without OpenBLAS or a compiler simply runs tfjs's
 * own kernels, and the reason is reported next to the backend name.
 */
export function loadNativeBlas(path: string = NATIVE_ADDON_PATH): NativeLoad {
  if (path === NATIVE_ADDON_PATH && cached) return cached;
  let result: NativeLoad;
  if (!existsSync(path)) {
    result = { ok: false, reason: `addon not built (${path}); run node packages/core/native/build.mjs` };
  } else {
    try {
      // libgomp reads its settings once, when the addon brings it in
      Object.assign(process.env, openmpDefaults(process.env));
      const blas = createRequire(import.meta.url)(path) as NativeBlas;
      if (typeof blas.sgemmBatched !== 'function') throw new Error('sgemmBatched missing');
      result = { ok: true, blas };
    } catch (err) {
      result = { ok: false, reason: `addon failed to load: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  if (path === NATIVE_ADDON_PATH) cached = result;
  return result;
}

/**
 * OpenMP settings the addon's threads (oneDNN's products, the engine's kernels) run with unless the
 * user chose (OMP_WAIT_POLICY or GOMP_SPINCOUNT set). GNU OpenMP's idle threads spin 300,000 rounds
 * (milliseconds) before sleeping: on a machine shared with other jobs the spinning holds a core, the
 * scheduler preempts it, and the next product waits on a descheduled thread. Measured here with
 * another job running, a sequence of training-size BF16 products: 12 per second at the default,
 * 49-85 at 10,000 rounds, 122 at 1,000, 130 at 0; idle, 0 and the default are alike (~210).
 * 1,000 rounds (tens of microseconds) still bridge the back-to-back parallel regions of one call.
 */
export function openmpDefaults(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.OMP_WAIT_POLICY !== undefined || env.GOMP_SPINCOUNT !== undefined) return {};
  return { GOMP_SPINCOUNT: '1000' };
}

/**
 * Why the fused native decoder cannot run on `backend`, or null when it can: what generate's
 * `auto` decoder choice and the printed backend line both go by.
 */
export function nativeDecoderUnavailable(backend: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.RHO_NATIVE === '0') return 'disabled by RHO_NATIVE=0';
  if (env.RHO_NATIVE_DECODE === '0') return 'disabled by RHO_NATIVE_DECODE=0';
  if (backend !== 'cpu' && backend !== 'wasm') return `the ${backend} backend decodes with its own kernels`;
  const native = loadNativeBlas();
  if (!native.ok) return native.reason;
  if (typeof native.blas.engineForward !== 'function') return 'the addon predates the native engine; run node packages/core/native/build.mjs';
  return null;
}
