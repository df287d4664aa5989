import type { LlamaConfig } from '../config/llama-config.ts';

/**
 * Weights that take part in a matrix product per token: attention and MLP projections and the LM
 * head (a tied head still multiplies). Embedding lookups and norms are not matmuls.
 */
export function matmulParamCount(c: LlamaConfig): number {
  const d = c.hiddenSize;
  const q = c.numAttentionHeads * c.headDim;
  const kv = c.numKeyValueHeads * c.headDim;
  const perLayer = d * q + 2 * d * kv + q * d + 3 * d * c.intermediateSize;
  return c.numHiddenLayers * perLayer + c.vocabSize * d;
}

/**
 * Training FLOPs per token as PaLM's MFU counts them: 6·N for the weight products (forward and
 * two backward) plus 12·L·H·Q·T for attention scores and values at sequence length T.
 */
export function trainFlopsPerToken(c: LlamaConfig, seqLen: number): number {
  return 6 * matmulParamCount(c) + 12 * c.numHiddenLayers * c.numAttentionHeads * c.headDim * seqLen;
}

/** Model FLOPs utilisation: achieved training FLOP/s over a measured peak (GFLOP/s). */
export function mfu(trainTokensPerS: number, c: LlamaConfig, seqLen: number, peakGflops: number): number {
  return (trainTokensPerS * trainFlopsPerToken(c, seqLen)) / (peakGflops * 1e9);
}
