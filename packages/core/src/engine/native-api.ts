import { loadNativeBlas } from '../backend/native.ts';

/** An opaque native object: a mapped file, an engine model or a key/value cache. */
export type EngineHandle = { readonly __engine: unique symbol };

/** A weight for engineModel: a Float32Array (copied), or [mapping, byteOffset, dtype code] into a mapped file. */
export type EngineWeight = Float32Array | [EngineHandle, number, number];

/** The engine functions of the addon (native/src/rho_engine.c). */
export interface EngineApi {
  mapFile(path: string): EngineHandle;
  mapSize(mapping: EngineHandle): number;
  /** Reads the pages of [offset, offset + length) into memory (load progress, no first-token stall). */
  mapTouch(mapping: EngineHandle, offset: number, length: number): void;
  /** dims: [L, D, H, KV, hd, F, V, window (0: none), precision (0 fp32, 1 bf16)]. */
  engineModel(dims: Int32Array, eps: number, invFreq: Float32Array, weights: EngineWeight[]): EngineHandle;
  /** `invariant`: batch-invariant kernels on this cache (a row's numbers independent of the call's other rows and size). */
  engineCache(model: EngineHandle, batch: number, invariant: boolean): EngineHandle;
  /** Token i extends cache row rows[i]; logits of the tokens listed in `want` land in `logits` [want.length, V]. */
  engineForward(model: EngineHandle, cache: EngineHandle, rows: Int32Array, tokens: Int32Array, want: Int32Array, logits: Float32Array): void;
  engineCacheLength(cache: EngineHandle, row: number): number;
  /** Row dstRow of dst := the first n tokens of src's row srcRow (copied), with room for `capacity` tokens. */
  engineCacheFork(src: EngineHandle, srcRow: number, dst: EngineHandle, dstRow: number, n: number, capacity: number): void;
  /** The row emptied, its memory freed. */
  engineCacheReset(cache: EngineHandle, row: number): void;
  /** Bytes of keys and values the cache has room for. */
  engineCacheBytes(cache: EngineHandle): number;
  engineRelease(handle: EngineHandle): void;
  /** The OpenMP threads the engine and oneDNN share (RHO_THREADS caps them); sets them when n > 0. */
  dnnlThreads(n?: number): number;
  /** Seconds in [linear, attention, other] since the last call (then zeroed): where the time goes. */
  engineProfile(): [number, number, number];
}

/** Dtype codes of engineModel's mapped weights. */
export const ENGINE_DTYPE = { F32: 0, BF16: 1, F16: 2 } as const;

/** The engine functions, or why they cannot be had. */
export function loadEngineApi(): { ok: true; api: EngineApi } | { ok: false; reason: string } {
  const native = loadNativeBlas();
  if (!native.ok) return { ok: false, reason: native.reason };
  const api = native.blas as unknown as Partial<EngineApi>;
  if (typeof api.engineCacheFork !== 'function') return { ok: false, reason: 'the addon predates the native engine; run node packages/core/native/build.mjs' };
  return { ok: true, api: api as EngineApi };
}
