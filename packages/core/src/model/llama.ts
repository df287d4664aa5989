import * as tf from '@tensorflow/tfjs-core';
import { RhoError } from '../errors.ts';
import { expectedTensorShapes, type LlamaConfig } from '../config/llama-config.ts';
import { applyRope, inverseFrequencies, rotateHalfMatrix, ropeCosSin } from './rope.ts';
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
  /**
   * Use the inference weight copies (built on first use, rebuilt when the variables change). Not
   * differentiable with respect to the variables: for generation and scoring, never training.
   */
  inference?: boolean;
}

/** Inference copies of the linear weights, transposed to [in, out]; per layer except the head. */
interface FusedWeights {
  q: tf.Tensor2D[];
  k: tf.Tensor2D[];
  v: tf.Tensor2D[];
  o: tf.Tensor2D[];
  gate: tf.Tensor2D[];
  up: tf.Tensor2D[];
  down: tf.Tensor2D[];
  head: tf.Tensor2D;
}

const fusedTensors = (f: FusedWeights) => [...f.q, ...f.k, ...f.v, ...f.o, ...f.gate, ...f.up, ...f.down, f.head];

/**
 * A Llama causal LM (Hugging Face LlamaForCausalLM formula): embedding, pre-norm blocks of
 * grouped-query rotary attention and SwiGLU MLP, final RMSNorm, LM head (tied or not).
 * Weights are tf.Variables under their HF names and shapes ([out, in] for linear layers).
 */
export class LlamaModel {
  private readonly invFreq: tf.Tensor1D;
  private readonly rotate: tf.Tensor2D;
  private fused: FusedWeights | null = null;
  private fusedFrom: (readonly [tf.Variable, object])[] = [];

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

  /**
   * Logits [B,T,V] for int32 ids [B,T]. With a padding mask, padded positions are not attended to
   * and real tokens keep their unpadded positions. `inference: true`: see `tokenLosses`.
   */
  logits(ids: tf.Tensor2D, opts: { attentionMask?: tf.Tensor2D; inference?: boolean } = {}): tf.Tensor3D {
    this.checkIds(ids);
    return tf.tidy(() => {
      const [b, t] = ids.shape;
      const mask = opts.attentionMask;
      const positions = mask ? positionsFromMask(mask) : arangePositions(b, t);
      const bias = attentionBias(b, t, 0, mask);
      return this.forward({ ids, positions, bias, inference: opts.inference }).logits;
    });
  }

  /**
   * Cross-entropy of ids[:, t+1] given ids[:, :t+1], [B,T-1]; 0 where the target is padding.
   * Differentiable: the scalar training loss is a (masked) mean of this. `inference: true` (scoring
   * only) runs on the faster inference weight copies and is not differentiable.
   */
  tokenLosses(ids: tf.Tensor2D, mask?: tf.Tensor2D, opts: { inference?: boolean } = {}): tf.Tensor2D {
    return tf.tidy(() => {
      const [b, t] = ids.shape;
      const v = this.config.vocabSize;
      const logits = this.logits(ids, { attentionMask: mask, inference: opts.inference });
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
    if (input.inference) this.fuseForInference();
    const f = input.inference ? this.fused : null;
    type Out = { logits: tf.Tensor3D; present: LayerKv[] };
    // y = x W^T with W in HF layout [out, in]; inference uses copies stored [in, out] (see fuseForInference)
    const linear = (x: tf.Tensor2D, name: string): tf.Tensor2D => tf.matMul(x, this.w(name) as tf.Tensor2D, false, true);
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
        if (f) {
          [q, k, v] = [tf.matMul(x, f.q[l]!), tf.matMul(x, f.k[l]!), tf.matMul(x, f.v[l]!)];
        } else {
          q = linear(x, `${p}self_attn.q_proj.weight`);
          k = linear(x, `${p}self_attn.k_proj.weight`);
          v = linear(x, `${p}self_attn.v_proj.weight`);
        }
        // rope on [B,T,heads,hd], then heads first: [B,heads,T,hd]
        const rope = (m: tf.Tensor2D, n: number) => tf.transpose(applyRope(tf.reshape(m, [b, t, n, hd]), cos, sin, this.rotate), [0, 2, 1, 3]) as tf.Tensor4D;
        const qh = rope(q, nh);
        let kh = rope(k, nkv);
        let vh = tf.transpose(tf.reshape(v, [b, t, nkv, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
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
        const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * t, nh * hd]) as tf.Tensor2D;
        h = tf.add(h, f ? tf.matMul(merged, f.o[l]!) : linear(merged, `${p}self_attn.o_proj.weight`)) as tf.Tensor2D;
        const y = rmsNorm(h, this.w(`${p}post_attention_layernorm.weight`), c.rmsNormEps);
        let gate: tf.Tensor2D, up: tf.Tensor2D;
        if (f) {
          [gate, up] = [tf.matMul(y, f.gate[l]!), tf.matMul(y, f.up[l]!)];
        } else {
          gate = linear(y, `${p}mlp.gate_proj.weight`);
          up = linear(y, `${p}mlp.up_proj.weight`);
        }
        const act = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D; // SwiGLU: silu(gate) * up
        h = tf.add(h, f ? tf.matMul(act, f.down[l]!) : linear(act, `${p}mlp.down_proj.weight`)) as tf.Tensor2D;
      }
      let rows = tf.reshape(h, [b, t, d]) as tf.Tensor3D;
      let tt = t;
      if (input.lastOnly) {
        rows = tf.slice(rows, [0, t - 1, 0], [b, 1, d]);
        tt = 1;
      }
      const normed = rmsNorm(tf.reshape(rows, [b * tt, d]), this.w('model.norm.weight'), c.rmsNormEps);
      const headName = c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
      const logits = tf.reshape(f ? tf.matMul(normed, f.head) : linear(normed, headName), [b, tt, c.vocabSize]) as tf.Tensor3D;
      return { logits, present } as unknown as tf.TensorContainer;
    }) as unknown as Out;
  }

  /**
   * Inference copies of the linear weights, transposed to [in, out]: a plain matmul is several
   * times faster than one with transposeB on the wasm and cpu backends. (Concatenating q/k/v or
   * gate/up saves kernel calls but the split after it costs more on wasm.) They cost one more copy of the weights and
   * are kept until `unfuse()`/`dispose()`; a call after the variables were assigned new values
   * (a training step) rebuilds them, so generation never sees stale weights.
   */
  fuseForInference(): void {
    if (this.fused && this.fusedFrom.every(([v, id]) => v.dataId === id)) return;
    this.unfuse();
    // Variable.assign (what optimizers do) gives a variable a new dataId: that is how staleness shows.
    this.fusedFrom = [...this.weights.values()].map((v) => [v, v.dataId] as const);
    const t = (name: string) => tf.transpose(this.w(name)) as tf.Tensor2D;
    const layers = Array.from({ length: this.config.numHiddenLayers }, (_, l) => `model.layers.${l}.`);
    this.fused = tf.tidy(() => {
      const f: FusedWeights = {
        q: layers.map((p) => t(`${p}self_attn.q_proj.weight`)),
        k: layers.map((p) => t(`${p}self_attn.k_proj.weight`)),
        v: layers.map((p) => t(`${p}self_attn.v_proj.weight`)),
        o: layers.map((p) => t(`${p}self_attn.o_proj.weight`)),
        gate: layers.map((p) => t(`${p}mlp.gate_proj.weight`)),
        up: layers.map((p) => t(`${p}mlp.up_proj.weight`)),
        down: layers.map((p) => t(`${p}mlp.down_proj.weight`)),
        head: t(this.config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'),
      };
      return f as unknown as tf.TensorContainer;
    }) as unknown as FusedWeights;
    // fusing may happen inside a caller's tidy (logits() runs forward in one): the copies outlive it
    const f = this.fused;
    for (const x of fusedTensors(f)) tf.keep(x);
  }

  isFused(): boolean {
    return this.fused !== null;
  }

  unfuse(): void {
    if (!this.fused) return;
    const f = this.fused;
    tf.dispose(fusedTensors(f));
    this.fused = null;
    this.fusedFrom = [];
  }

  dispose(): void {
    this.unfuse();
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
    this.invFreq.dispose();
    this.rotate.dispose();
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
