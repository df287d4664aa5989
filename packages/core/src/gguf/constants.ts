/**
 * The GGUF container's numbers, as the spec (ggml's docs/gguf.md) fixes them: value types of the
 * metadata, ggml tensor types with their block sizes, llama.cpp's file and token types.
 */

/** "GGUF" read as a little-endian uint32. */
export const GGUF_MAGIC = 0x46554747;
/** The version this project writes; 2 (64-bit counts, same layout) is read too. */
export const GGUF_VERSION = 3;
/** Tensor data offsets are multiples of this unless `general.alignment` says otherwise. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

export enum ValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** ggml tensor types this project writes or reads by name. */
export const GGML_TYPE = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  BF16: 30,
} as const;
export type GgmlTypeName = keyof typeof GGML_TYPE;

/**
 * [elements per block, bytes per block] of the ggml types whose size is known here: enough to
 * tell whether a file holds all of each tensor's bytes. Types missing here are left to llama.cpp.
 */
export const GGML_BLOCK: Partial<Record<number, readonly [number, number]>> = {
  0: [1, 4],
  1: [1, 2],
  2: [32, 18],
  3: [32, 20],
  6: [32, 22],
  7: [32, 24],
  8: [32, 34],
  10: [256, 84],
  11: [256, 110],
  12: [256, 144],
  13: [256, 176],
  14: [256, 210],
  15: [256, 292],
  30: [1, 2],
};

export function ggmlTypeName(type: number): string {
  return Object.entries(GGML_TYPE).find(([, v]) => v === type)?.[0] ?? `type ${type}`;
}

/** Bytes of a tensor of `elements` values of `type`, or undefined for a type not in GGML_BLOCK. */
export function ggmlTensorBytes(type: number, elements: number): number | undefined {
  const b = GGML_BLOCK[type];
  if (!b) return undefined;
  return Math.ceil(elements / b[0]) * b[1];
}

/** llama.cpp's `general.file_type` (llama_ftype): what most weights are stored as. */
export const LLAMA_FILE_TYPE = { F32: 0, F16: 1, Q8_0: 7, BF16: 32 } as const;

/** llama.cpp's token types (tokenizer.ggml.token_type). */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;
