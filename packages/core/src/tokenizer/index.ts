export { Tokenizer, type EncodeOptions, type DecodeOptions } from './tokenizer.ts';
export { trainBpe, DEFAULT_SPECIAL_TOKENS, type TrainBpeOptions, type TokenizerJsonObject } from './train.ts';
export { readCorpusTexts } from './corpus.ts';
