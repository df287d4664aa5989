import * as tf from '@tensorflow/tfjs-core';
import { RhoError } from '../errors.ts';
import { expectedTensorShapes, type LlamaConfig } from '../config/llama-config.ts';
import { applyRope, inverseFrequencies, ropeCosSin } from './rope.ts';
import { arangePositions, attentionBias, positionsFromMask } from './mask.ts';

/** Keys and values of one layer for the tokens seen so far: [B, kvHeads, S, headDim]. */
export interface LayerKv {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

export interface ForwardInput {
  ids: tf.Tensor2D; // int32 [B,T]
  positions: tf.Tensor2D; // int32 [B,T]
  bias: tf.Tensor4D; // [B|1, 1, T, past+T], see attentionBias
  past?: readonly LayerKv[];
  /** Only the logits of the last position ([B,1,V]): what decoding needs, V times less work in the head. */
  lastOnly?: boolean;
}

/** Inference-only weight layouts (concatenated projections) that save matmul calls per token. */
interface FusedLayer {
  qkv: tf.Tensor2D;
  gateUp: tf.Tensor2D;
}

/**
 * A Llama causal LM (Hugging Face LlamaForCausalLM formula): embedding, pre-norm blocks of
 * grouped-query rotary attention and SwiGLU MLP, final RMSNorm, LM head (tied or not).
 * Weights are tf.Variables under their HF names and shapes ([out, in] for linear layers).
 */
export class LlamaModel {
  private readonly invFreq: tf.Tensor1D;
  private fused: FusedLayer[] | null = null;

  private constructor(
    readonly config: LlamaConfig,
    readonly weights: Map<string, tf.Variable>,
  ) {
    this.invFreq = tf.tensor1d(inverseFrequencies(config.headDim, config.ropeTheta));
  }

  /** Random weights as transformers initialises them: N(0, initializer_range) for linear and embedding, ones for norms. */
  static init(config: LlamaConfig, seed: number): LlamaModel {
    const weights = new Map<string, tf.Variable>();
    let i = 0;
    for (const [name, shape] of expectedTensorShapes(config)) {
      i++;
      const t = tf.tidy(() => (name.endsWith('norm.weight') ? tf.ones(shape) : tf.randomNormal(shape, 0, config.initializerRange, 'float32', seed * 100003 + i)));
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

  /** Logits [B,T,V] for int32 ids [B,T]. With a padding mask, padded positions are not attended to and real tokens keep their unpadded positions. */
  logits(ids: tf.Tensor2D, opts: { attentionMask?: tf.Tensor2D } = {}): tf.Tensor3D {
    this.checkIds(ids);
    return tf.tidy(() => {
      const [b, t] = ids.shape;
      const mask = opts.attentionMask;
      const positions = mask ? positionsFromMask(mask) : arangePositions(b, t);
      const bias = attentionBias(b, t, 0, mask);
      return this.forward({ ids, positions, bias }).logits;
    });
  }

  /**
   * Cross-entropy of ids[:, t+1] given ids[:, :t+1], [B,T-1]; 0 where the target is padding.
   * Differentiable: the scalar training loss is a (masked) mean of this.
   */
  tokenLosses(ids: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [b, t] = ids.shape;
      const v = this.config.vocabSize;
      const logits = this.logits(ids, { attentionMask: mask });
      const n = b * (t - 1);
      const flat = tf.reshape(tf.slice(logits, [0, 0, 0], [b, t - 1, v]), [n, v]);
      const targets = tf.reshape(tf.slice(ids, [0, 1], [b, t - 1]), [n]);
      const picked = tf.gather(tf.reshape(flat, [n * v]), tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(v, 'int32')), tf.cast(targets, 'int32')));
      let losses = tf.reshape(tf.sub(tf.logSumExp(flat, 1), picked), [b, t - 1]);
      if (mask) losses = tf.mul(losses, tf.cast(tf.slice(mask, [0, 1], [b, t - 1]), 'float32'));
      return losses as tf.Tensor2D;
    });
  }

  /** Token ids must index the vocabulary: gather would otherwise read zeros silently. */
  checkIds(ids: tf.Tensor | readonly (readonly number[])[]): void {
    const data = ids instanceof tf.Tensor ? ids.dataSync() : ids.flat();
    const v = this.config.vocabSize;
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!;
      if (!(Number.isInteger(x) && x >= 0 && x < v)) {
        throw new RhoError('BAD_INPUT', `token id ${x} is outside the vocabulary [0, ${v})`, { field: 'input_ids', expected: `0..${v - 1}`, got: x, hint: 'does the tokenizer belong to this checkpoint?' });
      }
    }
  }

  /**
   * One forward pass over new tokens, attending to `past` keys/values; returns logits and the
   * keys/values of past + new tokens per layer. Caller owns (and disposes) everything returned.
   */
  forward(input: ForwardInput): { logits: tf.Tensor3D; present: LayerKv[] } {
    const c = this.config;
    const useFused = this.fused !== null;
    type Out = { logits: tf.Tensor3D; present: LayerKv[] };
    return tf.tidy((): tf.TensorContainer => {
      const [b, t] = input.ids.shape;
      const d = c.hiddenSize;
      const hd = c.headDim;
      const nh = c.numAttentionHeads;
      const nkv = c.numKeyValueHeads;
      const group = nh / nkv;
      const { cos, sin } = ropeCosSin(input.positions, this.invFreq);
      const scale = 1 / Math.sqrt(hd);
      let h = tf.gather(this.w('model.embed_tokens.weight'), tf.reshape(input.ids, [b * t])) as tf.Tensor2D; // [B*T, D]
      const present: LayerKv[] = [];
      for (let l = 0; l < c.numHiddenLayers; l++) {
        const p = `model.layers.${l}.`;
        const x = rmsNorm(h, this.w(`${p}input_layernorm.weight`), c.rmsNormEps);
        let q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D;
        if (useFused) {
          const qkv = tf.matMul(x, this.fused![l]!.qkv, false, true);
          [q, k, v] = tf.split(qkv, [nh * hd, nkv * hd, nkv * hd], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        } else {
          q = tf.matMul(x, this.w(`${p}self_attn.q_proj.weight`), false, true);
          k = tf.matMul(x, this.w(`${p}self_attn.k_proj.weight`), false, true);
          v = tf.matMul(x, this.w(`${p}self_attn.v_proj.weight`), false, true);
        }
        const heads = (m: tf.Tensor2D, n: number) => tf.transpose(tf.reshape(m, [b, t, n, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
        const qh = applyRope(heads(q, nh), cos, sin); // [B,H,T,hd]
        let kh = applyRope(heads(k, nkv), cos, sin); // [B,KV,T,hd]
        let vh = heads(v, nkv);
        const past = input.past?.[l];
        if (past) {
          kh = tf.concat([past.k, kh], 2);
          vh = tf.concat([past.v, vh], 2);
        }
        present.push({ k: kh, v: vh });
        const s = kh.shape[2];
        // Grouped-query attention without repeating keys: the `group` query heads that share a
        // key/value head are stacked along the query axis, [B,KV,G*T,hd] x [B,KV,S,hd]^T.
        const qg = tf.reshape(qh, [b, nkv, group * t, hd]);
        let scores = tf.reshape(tf.mul(tf.matMul(qg, kh, false, true), scale), [b, nh, t, s]);
        scores = tf.add(scores, input.bias);
        const probs = tf.reshape(tf.softmax(scores), [b, nkv, group * t, s]);
        const ctx = tf.reshape(tf.matMul(probs, vh), [b, nh, t, hd]);
        const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * t, nh * hd]);
        h = tf.add(h, tf.matMul(merged, this.w(`${p}self_attn.o_proj.weight`), false, true));
        const y = rmsNorm(h, this.w(`${p}post_attention_layernorm.weight`), c.rmsNormEps);
        let gate: tf.Tensor2D, up: tf.Tensor2D;
        if (useFused) {
          [gate, up] = tf.split(tf.matMul(y, this.fused![l]!.gateUp, false, true), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
        } else {
          gate = tf.matMul(y, this.w(`${p}mlp.gate_proj.weight`), false, true);
          up = tf.matMul(y, this.w(`${p}mlp.up_proj.weight`), false, true);
        }
        const act = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up); // SwiGLU: silu(gate) * up
        h = tf.add(h, tf.matMul(act, this.w(`${p}mlp.down_proj.weight`), false, true));
      }
      let rows = tf.reshape(h, [b, t, d]) as tf.Tensor3D;
      let tt = t;
      if (input.lastOnly) {
        rows = tf.slice(rows, [0, t - 1, 0], [b, 1, d]);
        tt = 1;
      }
      const normed = rmsNorm(tf.reshape(rows, [b * tt, d]), this.w('model.norm.weight'), c.rmsNormEps);
      const head = c.tieWordEmbeddings ? this.w('model.embed_tokens.weight') : this.w('lm_head.weight');
      const logits = tf.reshape(tf.matMul(normed, head, false, true), [b, tt, c.vocabSize]) as tf.Tensor3D;
      return { logits, present } as unknown as tf.TensorContainer;
    }) as unknown as Out;
  }

  /**
   * Concatenate q/k/v and gate/up weights for inference, so each block runs 4 matmuls instead of 7.
   * Call `unfuse()` (or dispose) after; while fused, training updates to the weights are not seen.
   */
  fuseForInference(): void {
    if (this.fused) return;
    this.fused = [];
    for (let l = 0; l < this.config.numHiddenLayers; l++) {
      const p = `model.layers.${l}.`;
      this.fused.push({
        qkv: tf.concat([this.w(`${p}self_attn.q_proj.weight`), this.w(`${p}self_attn.k_proj.weight`), this.w(`${p}self_attn.v_proj.weight`)], 0) as tf.Tensor2D,
        gateUp: tf.concat([this.w(`${p}mlp.gate_proj.weight`), this.w(`${p}mlp.up_proj.weight`)], 0) as tf.Tensor2D,
      });
    }
  }

  isFused(): boolean {
    return this.fused !== null;
  }

  unfuse(): void {
    if (!this.fused) return;
    for (const f of this.fused) tf.dispose([f.qkv, f.gateUp]);
    this.fused = null;
  }

  dispose(): void {
    this.unfuse();
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
    this.invFreq.dispose();
  }
}

function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor, eps: number): tf.Tensor2D {
  const variance = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, eps))), weight) as tf.Tensor2D;
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
      throw new RhoError('BAD_INPUT', `checkpoint lacks tensor ${name} (expected shape [${shape}])`, { file, field: name, expected: shape, hint: 'does config.json (num_hidden_layers, tie_word_embeddings) match the weights?' });
    }
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      throw new RhoError('BAD_INPUT', `tensor ${name} has shape [${got}], the config needs [${shape}]`, { file, field: name, expected: shape, got, hint: 'config.json (vocab_size, hidden_size, heads, intermediate_size) does not match the weights' });
    }
  }
  for (const name of shapes.keys()) {
    if (expected.has(name) || IGNORABLE.test(name)) continue;
    if (name === 'lm_head.weight' && config.tieWordEmbeddings) continue; // tied: transformers ignores a saved copy
    throw new RhoError('BAD_INPUT', `checkpoint has tensor ${name} that the config does not expect`, { file, field: name, hint: 'does config.json (num_hidden_layers, tie_word_embeddings) match the weights?' });
  }
}
