import * as tf from '@tensorflow/tfjs-core';
import { RhoError } from '../errors.ts';
import { sparseCrossEntropy } from '../backend/cross-entropy.ts';
import { expectedTensorShapes, type LlamaConfig } from '../config/llama-config.ts';
import { applyRope, inverseFrequencies, rotateHalfMatrix, ropeCosSin } from './rope.ts';
import { arangePositions, attentionBias, positionsFromMask } from './mask.ts';
import { nativeTokenLosses, nativeTrainUnavailable } from '../train/native-losses.ts';

// LayerKv and ForwardOutput are object types rather than interfaces because tf.tidy returns only a
// TensorContainer, whose object form has a string index signature that an interface never matches.

/** Keys and values of one layer for the tokens seen so far: [B, kvHeads, S, headDim]. */
export type LayerKv = {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
};

/** Logits of the positions asked for, and every layer's keys and values of past + new tokens. */
export type ForwardOutput = {
  logits: tf.Tensor3D;
  present: LayerKv[];
};

export interface ForwardInput {
  ids: tf.Tensor2D; // int32 [B,T]
  positions: tf.Tensor2D; // int32 [B,T]
  bias: tf.Tensor4D; // [B|1, 1, T, past+T], see attentionBias
  past?: readonly LayerKv[];
  /** Only the logits of the last position ([B,1,V]): what decoding needs, V times less work in the head. */
  lastOnly?: boolean;
  /**
   * Skip the logits of the last position ([B,T-1,V]): what next-token losses need, as the last
   * position has no target. Cutting the hidden states rather than the logits saves a copy V/D times larger.
   */
  dropLast?: boolean;
  /** Not differentiated (generation, scoring): nothing is kept for a backward pass. */
  inference?: boolean;
}

/**
 * A Llama causal LM (Hugging Face LlamaForCausalLM formula): embedding, pre-norm blocks of
 * grouped-query rotary attention and SwiGLU MLP, final RMSNorm, LM head (tied or not).
 * Weights are tf.Variables under their HF names and shapes ([out, in] for linear layers).
 */
export class LlamaModel {
  private readonly invFreq: tf.Tensor1D;
  private readonly disposeHooks = new Set<() => void>();
  private readonly rotate: tf.Tensor2D;

  private constructor(
    readonly config: LlamaConfig,
    readonly weights: Map<string, tf.Variable>,
  ) {
    this.invFreq = tf.tensor1d(inverseFrequencies(config.headDim, config.ropeTheta));
    this.rotate = rotateHalfMatrix(config.headDim);
  }

  /** Random weights as transformers initialises them: N(0, initializer_range) for linear and embedding, ones for norms. */
  static init(config: LlamaConfig, seed: number): LlamaModel {
    const weights = new Map<string, tf.Variable>();
    let i = 0;
    for (const [name, shape] of expectedTensorShapes(config)) {
      i++;
      const t = tf.tidy(() =>
        name.endsWith('norm.weight') ? tf.ones(shape) : tf.randomNormal(shape, 0, config.initializerRange, 'float32', seed * 100003 + i),
      );
      weights.set(name, tf.variable(t, true));
      t.dispose();
    }
    return new LlamaModel(config, weights);
  }

  /**
   * A model over given tensors (HF names). Missing, misshaped or unexpected tensors are errors
   * naming the tensor and the expected shape. The tensors are copied; the caller keeps ownership.
   */
  static fromWeights(config: LlamaConfig, tensors: ReadonlyMap<string, tf.Tensor>, file?: string): LlamaModel {
    checkTensorShapes(config, new Map([...tensors].map(([k, t]) => [k, t.shape])), file);
    const weights = new Map<string, tf.Variable>();
    for (const name of expectedTensorShapes(config).keys()) {
      weights.set(name, tf.variable(tf.cast(tensors.get(name)!, 'float32'), true));
    }
    return new LlamaModel(config, weights);
  }

  trainableVariables(): tf.Variable[] {
    return [...this.weights.values()];
  }

  private w(name: string): tf.Variable {
    const v = this.weights.get(name);
    if (!v) throw new RhoError('RUNTIME', `model has no weight ${name}`);
    return v;
  }

  /**
   * Logits [B,T,V] for int32 ids [B,T]. With a padding mask, padded positions are not attended to
   * and real tokens keep their unpadded positions. `inference: true`: not differentiated.
   */
  logits(ids: tf.Tensor2D, opts: { attentionMask?: tf.Tensor2D; inference?: boolean } = {}): tf.Tensor3D {
    this.checkIds(ids);
    return tf.tidy(() => {
      const [b, t] = ids.shape;
      const mask = opts.attentionMask;
      const positions = mask ? positionsFromMask(mask) : arangePositions(b, t);
      const bias = attentionBias(b, t, 0, mask, this.config.slidingWindow);
      return this.forward({ ids, positions, bias, inference: opts.inference }).logits;
    });
  }

  /**
   * Cross-entropy of ids[:, t+1] given ids[:, :t+1], [B,T-1]; 0 where the target is padding.
   * Differentiable: the scalar training loss is a (masked) mean of this. On cpu/wasm with the addon
   * it runs as the native training pass (native/src/rho_train.c, a tf.customGrad over the same
   * weights); `inference: true` marks scoring, which is not differentiated.
   */
  tokenLosses(ids: tf.Tensor2D, mask?: tf.Tensor2D, opts: { inference?: boolean } = {}): tf.Tensor2D {
    this.checkIds(ids);
    // training and evaluation in one native pass each way where the addon has it (cpu/wasm)
    if (nativeTrainUnavailable() === null) return nativeTokenLosses(this, ids, mask);
    return tf.tidy(() => {
      const [b, t] = ids.shape;
      const v = this.config.vocabSize;
      const positions = mask ? positionsFromMask(mask) : arangePositions(b, t);
      const bias = attentionBias(b, t, 0, mask, this.config.slidingWindow);
      const { logits } = this.forward({ ids, positions, bias, inference: opts.inference, dropLast: true }); // [B,T-1,V]
      const n = b * (t - 1);
      const flat = tf.reshape(logits, [n, v]);
      const targets = tf.reshape(tf.slice(ids, [0, 1], [b, t - 1]), [n]);
      // Its written-out gradient (softmax − onehot) avoids autodiff's passes over all N·V logits.
      let losses = tf.reshape(sparseCrossEntropy(flat as tf.Tensor2D, targets as tf.Tensor1D), [b, t - 1]);
      if (mask) losses = tf.mul(losses, tf.cast(tf.slice(mask, [0, 1], [b, t - 1]), 'float32'));
      return losses as tf.Tensor2D;
    });
  }

  /** Token ids must index the vocabulary: gather would otherwise read zeros silently. */
  checkIds(ids: tf.Tensor | readonly (readonly number[])[]): void {
    checkTokenIds(ids instanceof tf.Tensor ? ids.dataSync() : ids.flat(), this.config.vocabSize);
  }

  /**
   * One forward pass over new tokens, attending to `past` keys/values; returns logits and the
   * keys/values of past + new tokens per layer. Caller owns (and disposes) everything returned.
   */
  forward(input: ForwardInput): ForwardOutput {
    const c = this.config;
    // y = x W^T with W in HF layout [out, in]
    const linear = (x: tf.Tensor2D, name: string): tf.Tensor2D => tf.matMul(x, this.w(name) as tf.Tensor2D, false, true);
    return tf.tidy((): ForwardOutput => {
      const [b, t] = input.ids.shape;
      const hd = c.headDim;
      const nh = c.numAttentionHeads;
      const nkv = c.numKeyValueHeads;
      const { cos, sin } = ropeCosSin(input.positions, this.invFreq);
      const scale = 1 / Math.sqrt(hd);
      const bias = groupBias(input.bias, nh / nkv);
      let h = tf.gather(this.w('model.embed_tokens.weight'), tf.reshape(input.ids, [b * t])) as tf.Tensor2D; // [B*T, D]
      const present: LayerKv[] = [];
      for (let l = 0; l < c.numHiddenLayers; l++) {
        const p = `model.layers.${l}.`;
        const x = rmsNorm(h, this.w(`${p}input_layernorm.weight`), c.rmsNormEps);
        // rope on [B,T,heads,hd], then heads first: [B,heads,T,hd]
        const rope = (m: tf.Tensor2D, n: number) => tf.transpose(applyRope(tf.reshape(m, [b, t, n, hd]), cos, sin, this.rotate), [0, 2, 1, 3]) as tf.Tensor4D;
        const qh = rope(tf.mul(linear(x, `${p}self_attn.q_proj.weight`), scale), nh);
        const kh = rope(linear(x, `${p}self_attn.k_proj.weight`), nkv);
        const vh = tf.transpose(tf.reshape(linear(x, `${p}self_attn.v_proj.weight`), [b, t, nkv, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
        const a = attention(qh, kh, vh, input.past?.[l], bias, nkv);
        present.push(a.kv);
        h = tf.add(h, linear(a.merged, `${p}self_attn.o_proj.weight`));
        const y = rmsNorm(h, this.w(`${p}post_attention_layernorm.weight`), c.rmsNormEps);
        const gate = linear(y, `${p}mlp.gate_proj.weight`);
        const act = tf.mul(tf.mul(gate, tf.sigmoid(gate)), linear(y, `${p}mlp.up_proj.weight`)) as tf.Tensor2D; // SwiGLU: silu(gate) * up
        h = tf.add(h, linear(act, `${p}mlp.down_proj.weight`));
      }
      const last = headRows(h, b, t, input);
      const normed = rmsNorm(last.rows, this.w('model.norm.weight'), c.rmsNormEps);
      const logits = tf.reshape(linear(normed, c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'), [b, last.t, c.vocabSize]) as tf.Tensor3D;
      return { logits, present };
    });
  }

  /** Runs `hook` once when the model is disposed (derived copies of the weights free themselves). */
  onDispose(hook: () => void): void {
    this.disposeHooks.add(hook);
  }

  dispose(): void {
    for (const hook of this.disposeHooks) hook();
    this.disposeHooks.clear();
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
    this.invFreq.dispose();
    this.rotate.dispose();
  }
}

function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor, eps: number): tf.Tensor2D {
  return tf.mul(rmsUnit(x, eps), weight) as tf.Tensor2D;
}

/** RMSNorm without its weight: x / sqrt(mean(x²) + eps) over the last axis. */
function rmsUnit(x: tf.Tensor2D, eps: number): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))) as tf.Tensor2D;
}

/**
 * The attention bias [B|1,1,T,S] repeated for the `group` query heads stacked per key/value head,
 * [B|1,1,G*T,S], matching the query layout in `attention` (done once per forward, not per layer).
 */
function groupBias(bias: tf.Tensor4D, group: number): tf.Tensor4D {
  return group === 1 ? bias : (tf.tile(bias, [1, 1, group, 1]) as tf.Tensor4D);
}

/**
 * Causal grouped-query attention. q [B,H,T,hd] (already scaled), k/v [B,KV,T,hd] of the new
 * tokens, appended to `past`. The `group` query heads that share a key/value head are stacked
 * along the query axis, [B,KV,G*T,hd] x [B,KV,S,hd]^T, so keys are never repeated.
 * Returns the merged context [B*T, H*hd] and the keys/values of past + new tokens.
 */
function attention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  past: LayerKv | undefined,
  bias: tf.Tensor4D,
  nkv: number,
): { merged: tf.Tensor2D; kv: LayerKv } {
  const [b, nh, t, hd] = q.shape;
  const group = nh / nkv;
  const keys = past ? (tf.concat([past.k, k], 2) as tf.Tensor4D) : k;
  const values = past ? (tf.concat([past.v, v], 2) as tf.Tensor4D) : v;
  const scores = tf.add(tf.matMul(tf.reshape(q, [b, nkv, group * t, hd]), keys, false, true), bias);
  const ctx = tf.matMul(tf.softmax(scores), values); // [B,KV,G*T,hd] = [B,H,T,hd]
  const merged = t === 1 ? tf.reshape(ctx, [b, nh * hd]) : tf.reshape(tf.transpose(tf.reshape(ctx, [b, nh, t, hd]), [0, 2, 1, 3]), [b * t, nh * hd]);
  return { merged: merged as tf.Tensor2D, kv: { k: keys, v: values } };
}

/** Hidden states [B*T', D] that reach the LM head: every position, the last only (T' = 1), or all but the last (T' = T-1). */
function headRows(h: tf.Tensor2D, b: number, t: number, input: Pick<ForwardInput, 'lastOnly' | 'dropLast'>): { rows: tf.Tensor2D; t: number } {
  const d = h.shape[1];
  if (input.lastOnly && t > 1) return { rows: tf.reshape(tf.slice(tf.reshape(h, [b, t, d]), [0, t - 1, 0], [b, 1, d]), [b, d]) as tf.Tensor2D, t: 1 };
  if (input.dropLast) return { rows: tf.reshape(tf.slice(tf.reshape(h, [b, t, d]), [0, 0, 0], [b, t - 1, d]), [b * (t - 1), d]) as tf.Tensor2D, t: t - 1 };
  return { rows: h, t };
}

/** Token ids must index the vocabulary, whichever engine runs the model: a gather would read zeros or garbage. */
export function checkTokenIds(ids: ArrayLike<number>, vocabSize: number): void {
  for (let i = 0; i < ids.length; i++) {
    const x = ids[i]!;
    if (!(Number.isInteger(x) && x >= 0 && x < vocabSize)) {
      throw new RhoError('BAD_INPUT', `token id ${x} is outside the vocabulary [0, ${vocabSize})`, {
        field: 'input_ids',
        expected: `0..${vocabSize - 1}`,
        got: x,
        hint: 'does the tokenizer belong to this checkpoint?',
      });
    }
  }
}

/** Tensors whose presence in a checkpoint changes nothing (old transformers saved RoPE buffers). */
const IGNORABLE = /(^|\.)rotary_emb\.inv_freq$/;

/**
 * Check that `shapes` holds exactly the tensors a config needs, with their shapes. Errors name the
 * tensor and the expected shape, and hint at the config field that likely disagrees.
 */
export function checkTensorShapes(config: LlamaConfig, shapes: ReadonlyMap<string, readonly number[]>, file?: string): void {
  const expected = expectedTensorShapes(config);
  for (const [name, shape] of expected) {
    const got = shapes.get(name);
    if (!got) {
      throw new RhoError('BAD_INPUT', `checkpoint lacks tensor ${name} (expected shape [${shape}])`, {
        file,
        field: name,
        expected: shape,
        hint: 'does config.json (num_hidden_layers, tie_word_embeddings) match the weights?',
      });
    }
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      throw new RhoError('BAD_INPUT', `tensor ${name} has shape [${got}], the config needs [${shape}]`, {
        file,
        field: name,
        expected: shape,
        got,
        hint: 'config.json (vocab_size, hidden_size, heads, intermediate_size) does not match the weights',
      });
    }
  }
  for (const name of shapes.keys()) {
    if (expected.has(name) || IGNORABLE.test(name)) continue;
    if (name === 'lm_head.weight' && config.tieWordEmbeddings) continue; // tied: transformers ignores a saved copy
    throw new RhoError('BAD_INPUT', `checkpoint has tensor ${name} that the config does not expect`, {
      file,
      field: name,
      hint: 'does config.json (num_hidden_layers, tie_word_embeddings) match the weights?',
    });
  }
}
