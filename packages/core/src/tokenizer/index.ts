export { Tokenizer, type EncodeOptions, type DecodeOptions } from './tokenizer.ts';
export { trainBpe, DEFAULT_SPECIAL_TOKENS, type TrainBpeOptions } from './train.ts';
export type { TokenizerJsonObject } from './bpe-json.ts';
export { byteTokenizerJson, BYTE_VOCAB_SIZE, BYTE_BOS_ID, BYTE_EOS_ID } from './bytes-json.ts';
export { readCorpusTexts } from './corpus.ts';
