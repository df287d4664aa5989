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
  // The fused decoder (src/rho_decode.c); see generate/native-decoder.ts. Absent in an addon built
  // from an older source, which is why they are optional.
  decoderModel?(dims: Int32Array, eps: number, invFreq: Float32Array, embed: Float32Array, layerWeights: Float32Array[], head: Float32Array): NativeHandle;
  decoderCache?(model: NativeHandle, batch: number, capacity: number, keys: Float32Array[], values: Float32Array[], past: number, start: Int32Array): NativeHandle;
  decodeStep?(model: NativeHandle, cache: NativeHandle, rows: Int32Array, tokens: Int32Array, positions: Int32Array, logits: Float32Array): void;
  decoderRelease?(handle: NativeHandle): void;
  decoderCacheLength?(cache: NativeHandle): number;
  // Sparse softmax cross-entropy (src/rho_loss.c), rows split over `threads`; see cross-entropy-kernel.ts.
  crossEntropyForward?(x: Float32Array, targets: Int32Array, vocab: number, loss: Float32Array, lse: Float32Array, threads: number): void;
  crossEntropyBackward?(x: Float32Array, targets: Int32Array, lse: Float32Array, dy: Float32Array, vocab: number, dx: Float32Array, threads: number): void;
  // One AdamW step of one parameter (src/rho_optim.c); coefs [beta1, beta2, eps, decay, stepSize, bc2Sqrt].
  adamwUpdate?(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, pOut: Float32Array, mOut: Float32Array, vOut: Float32Array, coefs: Float64Array, threads: number): void;
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
 * Why the fused native decoder cannot run on `backend`, or null when it can: what generate's
 * `auto` decoder choice and the printed backend line both go by.
 */
export function nativeDecoderUnavailable(backend: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.RHO_NATIVE === '0') return 'disabled by RHO_NATIVE=0';
  if (env.RHO_NATIVE_DECODE === '0') return 'disabled by RHO_NATIVE_DECODE=0';
  if (backend !== 'cpu' && backend !== 'wasm') return `the ${backend} backend decodes with its own kernels`;
  const native = loadNativeBlas();
  if (!native.ok) return native.reason;
  if (typeof native.blas.decodeStep !== 'function') return 'the addon predates the fused decoder; run node packages/core/native/build.mjs';
  return null;
}
