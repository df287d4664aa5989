/**
 * The version of the addon these types describe. The addon exports its own (RHO_ADDON_VERSION in
 * native/src/rho_addon.c) and loadNativeKernels refuses any other: a build left from older sources
 * is rebuilt, never probed function by function. Bump both when a function is added or removed or
 * its arguments change.
 */
export const NATIVE_ADDON_VERSION = 2;

/** What oneDNN offers here (dnnlInfo). */
export interface DnnlInfo {
  ready: boolean;
  bf16: boolean;
  /** e.g. `avx512_core_bf16`, `avx512_core_amx_bf16`; the reason when not ready (`oneDNN not built in`) */
  isa: string;
  threads: number;
}

/** An opaque native object (a training pass's saved activations). */
export type NativeHandle = { readonly __native: unique symbol };

/** An opaque native object: a mapped file, an engine model or a key/value cache. */
export type EngineHandle = { readonly __engine: unique symbol };

/** A weight for engineModel: a Float32Array (copied), or [mapping, byteOffset, dtype code] into a mapped file. */
export type EngineWeight = Float32Array | [EngineHandle, number, number];

/** The inference engine (src/rho_engine.c): TS side in engine/native-lm.ts. */
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
  /** Bytes of keys and values one token takes in this cache, every layer (BF16 elements at precision bf16, else FP32). */
  engineCacheTokenBytes(cache: EngineHandle): number;
  engineRelease(handle: EngineHandle): void;
  /** The OpenMP threads the engine and oneDNN share (RHO_THREADS caps them); sets them when n > 0. */
  dnnlThreads(n?: number): number;
  /** Seconds in [linear, attention, other] since the last call (then zeroed): where the time goes. */
  engineProfile(): [number, number, number];
}

/** The training pass (src/rho_train.c): TS side in train/native-losses.ts. */
export interface NativeTrainApi {
  /**
   * Per-token losses [B·(T−1)] of the model over `weights` (in nativeWeightOrder), written to
   * `losses`; with `keep`, a handle on what trainBackward needs.
   * dims: [B, T, L, D, H, KV, headDim, F, V, window (−1: none), tied, bf16].
   */
  trainForward(
    weights: Float32Array[],
    ids: Int32Array,
    mask: Int32Array | null,
    dims: Int32Array,
    eps: number,
    theta: number,
    losses: Float32Array,
    keep: boolean,
  ): NativeHandle | undefined;
  /** Gradients of Σ dLosses·losses, one array per weight; frees the handle's activations. */
  trainBackward(handle: NativeHandle, weights: Float32Array[], dLosses: Float32Array, grads: Float32Array[]): void;
}

/**
 * The N-API addon built from packages/core/native (see native/build.mjs): matrix products (OpenBLAS,
 * oneDNN), the inference engine, the training pass, the loss and AdamW kernels.
 */
export interface NativeKernels extends EngineApi, NativeTrainApi {
  /** NATIVE_ADDON_VERSION of the sources it was built from. */
  readonly version: number;
  /**
   * For each batch i: c[i*m*n ..] (m x n, row-major) = op(a at aOffsets[i]) · op(b at bOffsets[i]),
   * op = transpose when the flag is set. Runs synchronously on OpenBLAS's threads (src/rho_blas.c).
   */
  sgemmBatched(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    aOffsets: Int32Array,
    bOffsets: Int32Array,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
  ): void;
  /** Sets OpenBLAS's thread count when given a positive number; returns the count in use. */
  threads(n?: number): number;
  // oneDNN (src/rho_dnnl.c). Without oneDNN in the build they exist but report `ready: false` and
  // the products throw.
  /** What oneDNN offers here: usable at all, native BF16 products, the ISA it dispatches to (or why it is absent), OpenMP threads. */
  dnnlInfo(): DnnlInfo;
  /**
   * As sgemmBatched, through oneDNN: the FP32 operands are rounded to BF16 (round to nearest even)
   * and multiplied with FP32 accumulation. Throws where oneDNN has no native BF16.
   */
  gemmBf16Batched(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    aOffsets: Int32Array,
    bOffsets: Int32Array,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
  ): void;
  /** As sgemmBatched, through oneDNN's FP32 matmul. */
  gemmF32Batched(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    aOffsets: Int32Array,
    bOffsets: Int32Array,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
  ): void;
  /** dst[i] = src[i] rounded to BF16 bits (nearest even, NaN kept quiet); dst at least as long as src. */
  f32ToBf16(src: Float32Array, dst: Uint16Array): void;
  /** dst[i] = the value of BF16 bits src[i]. */
  bf16ToF32(src: Uint16Array, dst: Float32Array): void;
  // Sparse softmax cross-entropy (src/rho_loss.c), rows split over `threads`; see cross-entropy-kernel.ts.
  crossEntropyForward(x: Float32Array, targets: Int32Array, vocab: number, loss: Float32Array, lse: Float32Array, threads: number): void;
  crossEntropyBackward(x: Float32Array, targets: Int32Array, lse: Float32Array, dy: Float32Array, vocab: number, dx: Float32Array, threads: number): void;
  // One AdamW step of one parameter (src/rho_optim.c); coefs [beta1, beta2, eps, decay, stepSize, bc2Sqrt].
  adamwUpdate(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    pOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    coefs: Float64Array,
    threads: number,
  ): void;
}
