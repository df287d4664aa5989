export {
  convertToGguf,
  ggufTensorName,
  GGUF_OUT_TYPES,
  losslessType,
  permuteRotaryRows,
  type ConvertOptions,
  type ConvertResult,
  type GgufOutType,
} from './convert.ts';
export { isGgufFile, readGgufHeader, type GgufHeader, type GgufTensorInfo, type GgufValue } from './reader.ts';
export { checkArchitecture, configFromGguf, LLAMA_ARCH, SLIDING_WINDOW_KEY } from './llama-meta.ts';
export { ggmlTypeName, GGML_TYPE } from './constants.ts';
export { encodeGgufHeader, writeGguf, type GgufEntry, type GgufTensorOut } from './writer.ts';
