/**
 * The reference figures and targets for `pnpm bench infer`: llama.cpp (node-llama-cpp 3.22.1's
 * prebuilt CPU build, the TinyLlama-1.1B architecture as an F16 GGUF, 2 threads) on the project's
 * 2-core machine, and what our engine must reach beside it.
 */
import type { LlamaConfig } from '@rho/core';

export const LLAMA_CPP = {
  /** measured as a range across runs */
  promptTokensPerS: [36, 41] as const,
  decodeB1TokensPerS: 7.9,
  residentBytes: 2.3e9,
  what: 'llama.cpp (node-llama-cpp 3.22.1 prebuilt CPU build), F16 GGUF of the TinyLlama-1.1B architecture, 2 threads',
};

/** llama.cpp's figures are for this architecture only; beside another they would compare nothing. */
export function isTinyLlamaArchitecture(
  c: Pick<LlamaConfig, 'hiddenSize' | 'numHiddenLayers' | 'numAttentionHeads' | 'numKeyValueHeads' | 'intermediateSize' | 'vocabSize'>,
): boolean {
  return (
    c.hiddenSize === 2048 &&
    c.numHiddenLayers === 22 &&
    c.numAttentionHeads === 32 &&
    c.numKeyValueHeads === 4 &&
    c.intermediateSize === 5632 &&
    c.vocabSize === 32000
  );
}

export interface InferFigures {
  promptTokensPerS: number;
  decodeB1TokensPerS: number;
  decodeB16TokensPerS: number;
  peakRssBytes: number;
  checkpointBytes: number;
}

export interface TargetResult {
  name: string;
  /** the bound, in the figure's unit */
  need: number;
  got: number;
  ok: boolean;
  rule: string;
}

/**
 * The targets: prompt ≥ 2× and batch-1 decode ≥ 1× llama.cpp (both only on its architecture;
 * against the top of llama.cpp's prompt range, so a pass holds over the whole range), batch-16 decode
 * ≥ 5× our own batch 1, peak RSS ≤ 1.5× the checkpoint's bytes on disk.
 */
export function inferTargets(f: InferFigures, tinyLlama: boolean): TargetResult[] {
  const out: TargetResult[] = [];
  const atLeast = (name: string, got: number, need: number, rule: string) => out.push({ name, need, got, ok: got >= need, rule });
  if (tinyLlama) {
    atLeast('prompt tokens/s', f.promptTokensPerS, 2 * LLAMA_CPP.promptTokensPerS[1], `>= 2x llama.cpp (${LLAMA_CPP.promptTokensPerS.join('-')})`);
    atLeast('decode b1 tokens/s', f.decodeB1TokensPerS, LLAMA_CPP.decodeB1TokensPerS, `>= 1x llama.cpp (${LLAMA_CPP.decodeB1TokensPerS})`);
  }
  atLeast('decode b16 tokens/s', f.decodeB16TokensPerS, 5 * f.decodeB1TokensPerS, '>= 5x our b1');
  const cap = 1.5 * f.checkpointBytes;
  out.push({ name: 'peak RSS bytes', need: cap, got: f.peakRssBytes, ok: f.peakRssBytes <= cap, rule: '<= 1.5x checkpoint bytes' });
  return out;
}

/** One engine's figures from a side-by-side `bench infer` run (its JSON). */
export interface SideBySideRun {
  engine: string;
  gguf_type?: string | null;
  weight_dtype?: string;
  prompt_tokens_per_s: number;
  decode_b1_tokens_per_s: number;
  decode_b16_tokens_per_s: number;
}

export interface SideBySideRatio {
  /** "native ÷ llama.cpp f16 (BF16)" */
  label: string;
  prompt: number;
  decodeB1: number;
  decodeB16: number;
}

/** Issue 18's targets: prompt and batch-1 decode over llama.cpp's prebuilt F16 build, our batch 16 over our batch 1. */
export const ISSUE_18 = { promptOverLlamaCpp: 6, decodeB1OverLlamaCpp: 1, decodeB16OverB1: 8 } as const;

/** The native figures over another run's. */
function over(native: SideBySideRun, r: SideBySideRun): Omit<SideBySideRatio, 'label'> {
  return {
    prompt: native.prompt_tokens_per_s / r.prompt_tokens_per_s,
    decodeB1: native.decode_b1_tokens_per_s / r.decode_b1_tokens_per_s,
    decodeB16: native.decode_b16_tokens_per_s / r.decode_b16_tokens_per_s,
  };
}

/**
 * The native engine's figures over each llama.cpp run measured in the same invocation (issue 18
 * sets its targets against llama.cpp's prebuilt F16 build); none without both engines.
 */
export function sideBySideRatios(runs: readonly SideBySideRun[]): SideBySideRatio[] {
  const native = runs.find((r) => r.engine === 'native');
  if (!native) return [];
  return runs
    .filter((r) => r.engine === 'llama.cpp')
    .map((r) => ({ label: `native ÷ llama.cpp${r.gguf_type ? ` ${r.gguf_type}` : ''}${r.weight_dtype ? ` (${r.weight_dtype})` : ''}`, ...over(native, r) }));
}

/** Issue 18's batch target: our batch-16 decode over our batch 1 (needs no other engine). */
export function batchTarget(b1: number, b16: number): TargetResult {
  const got = b16 / b1;
  return {
    name: 'decode b16 tokens/s',
    need: ISSUE_18.decodeB16OverB1,
    got,
    ok: got >= ISSUE_18.decodeB16OverB1,
    rule: `>= ${ISSUE_18.decodeB16OverB1}x our b1`,
  };
}

/**
 * Issue 18's targets, judged against the llama.cpp F16 run of the same invocation (none without
 * one).
 */
export function sideBySideTargets(runs: readonly SideBySideRun[]): TargetResult[] {
  const native = runs.find((r) => r.engine === 'native');
  const f16 = runs.find((r) => r.engine === 'llama.cpp' && (r.gguf_type === 'f16' || (!r.gguf_type && r.weight_dtype === 'F16')));
  if (!native || !f16) return [];
  const r = over(native, f16);
  const ratio = (name: string, got: number, need: number, rule: string): TargetResult => ({ name, need, got, ok: got >= need, rule });
  return [
    ratio('prompt tokens/s', r.prompt, ISSUE_18.promptOverLlamaCpp, `>= ${ISSUE_18.promptOverLlamaCpp}x llama.cpp f16`),
    ratio('decode b1 tokens/s', r.decodeB1, ISSUE_18.decodeB1OverLlamaCpp, `>= ${ISSUE_18.decodeB1OverLlamaCpp}x llama.cpp f16`),
    batchTarget(native.decode_b1_tokens_per_s, native.decode_b16_tokens_per_s),
  ];
}
