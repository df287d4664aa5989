import * as tf from '@tensorflow/tfjs-core';
import { RhoError } from '../errors.ts';
import { loadNativeBlas, nativeDecoderUnavailable, type NativeBlas, type NativeHandle } from '../backend/native.ts';
import type { LayerKv, LlamaModel } from '../model/llama.ts';
import { inverseFrequencies } from '../model/rope.ts';

/**
 * Which implementation runs the cached decoding steps. `native`: the addon's fused step
 * (native/src/rho_decode.c), one call per token for the whole model; `tfjs`: model.forward, about
 * two hundred kernel calls per token, whose dispatch cost dominates batch-1 decoding on wasm/cpu.
 * `auto` (default) picks native on the cpu and wasm backends when the addon is built; on
 * tfjs-node(-gpu) tfjs's own kernels run on the device and stay in charge.
 */
export type DecoderChoice = 'auto' | 'native' | 'tfjs';

type DecoderApi = Required<Pick<NativeBlas, 'decoderModel' | 'decoderCache' | 'decodeStep' | 'decoderRelease'>>;

/** Resolves a choice to the decoder to use; `native` where it cannot run is an error. */
export function resolveDecoder(choice: DecoderChoice = 'auto', env: NodeJS.ProcessEnv = process.env): 'native' | 'tfjs' {
  if (choice === 'tfjs') return 'tfjs';
  const why = nativeDecoderUnavailable(tf.getBackend(), env);
  if (why === null) return 'native';
  if (choice === 'native') throw new RhoError('UNSUPPORTED', `the native decoder cannot run: ${why}`, { field: 'decoder', hint: 'use decoder "auto" or "tfjs"' });
  return 'tfjs';
}

function api(): DecoderApi {
  const native = loadNativeBlas();
  if (!native.ok || typeof native.blas.decodeStep !== 'function') throw new RhoError('UNSUPPORTED', 'the native decoder is not available');
  return native.blas as DecoderApi;
}

const copies = new WeakMap<LlamaModel, { version: number; handle: NativeHandle }>();

/**
 * The model's inference weights copied into native memory once, and again only after they change
 * (a training step rebuilds the inference copies; the unfuse hook frees the stale native ones).
 */
function nativeModel(model: LlamaModel, native: DecoderApi): NativeHandle {
  const { weights: f, version, embed } = model.inferenceWeights();
  const have = copies.get(model);
  if (have && have.version === version) return have.handle;
  const c = model.config;
  const data = (t: tf.Tensor) => t.dataSync() as Float32Array;
  const layers: Float32Array[] = [];
  for (let l = 0; l < c.numHiddenLayers; l++) {
    layers.push(data(f.q[l]!), data(f.k[l]!), data(f.v[l]!), data(f.o[l]!), data(f.gate[l]!), data(f.up[l]!), data(f.down[l]!));
  }
  const dims = new Int32Array([c.numHiddenLayers, c.hiddenSize, c.numAttentionHeads, c.numKeyValueHeads, c.headDim, c.intermediateSize, c.vocabSize]);
  const handle = native.decoderModel(dims, c.rmsNormEps, inverseFrequencies(c.headDim, c.ropeTheta), data(embed), layers, data(f.head));
  copies.set(model, { version, handle });
  model.onUnfuse(() => {
    native.decoderRelease(handle);
    if (copies.get(model)?.handle === handle) copies.delete(model);
  });
  return handle;
}

/**
 * A batch being decoded natively: the key/value cache of the (tfjs) prefill moved into native
 * memory with room for `capacity` positions, then one `step` per new token.
 */
export class NativeDecodeSession {
  private readonly native: DecoderApi;
  private readonly model: NativeHandle;
  private cache: NativeHandle | null;
  private readonly vocab: number;
  /** Reused by every step: a fresh B·V array per token is garbage enough to keep the GC busy. */
  private readonly logits: Float32Array;

  /**
   * @param present keys/values of the prefill, [B, KV, past, hd] per layer (not disposed here)
   * @param start per row, the first real slot (left padding before it)
   */
  constructor(model: LlamaModel, present: readonly LayerKv[], start: readonly number[], capacity: number) {
    this.native = api();
    this.model = nativeModel(model, this.native);
    this.vocab = model.config.vocabSize;
    this.logits = new Float32Array(start.length * this.vocab);
    const past = present[0]?.k.shape[2] ?? 0;
    this.cache = this.native.decoderCache(
      this.model, start.length, capacity,
      present.map((kv) => kv.k.dataSync() as Float32Array), present.map((kv) => kv.v.dataSync() as Float32Array),
      past, Int32Array.from(start),
    );
  }

  /**
   * Feeds one token per listed row (rows index the batch the session was made with; finished rows
   * are simply left out) at the given positions; returns their next-token logits, [rows, vocab],
   * in a buffer that the next step overwrites.
   */
  step(rows: readonly number[], tokens: readonly number[], positions: readonly number[]): Float32Array {
    if (!this.cache) throw new RhoError('RUNTIME', 'decoding session already disposed');
    const logits = this.logits.subarray(0, rows.length * this.vocab);
    this.native.decodeStep(this.model, this.cache, Int32Array.from(rows), Int32Array.from(tokens), Int32Array.from(positions), logits);
    return logits;
  }

  /** Frees the cache now (the model's copy stays for the next generation). */
  dispose(): void {
    if (this.cache) this.native.decoderRelease(this.cache);
    this.cache = null;
  }
}
