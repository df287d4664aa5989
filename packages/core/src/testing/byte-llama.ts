/**
 * config.json of a one-layer Llama over byte ids (256 bytes, BOS, EOS): the smallest model the
 * slm pipeline trains, shared by slm's unit tests and the end-to-end tests.
 */
export const BYTE_LLAMA_CONFIG = {
  vocab_size: 258,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  bos_token_id: 256,
  eos_token_id: 257,
  tie_word_embeddings: false,
} as const;
