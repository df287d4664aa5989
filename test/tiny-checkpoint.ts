/** A small byte-level BPE (trained on GSM8K training problems) and a 2-layer Llama initialised with it. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cli, DATA } from './cli.ts';

export { BYTE_LLAMA_CONFIG } from '@rho/core/testing/byte-llama';

/**
 * `pnpm core tokenizer train` on the first `problems` GSM8K training problems, then `pnpm core
 * init` of a 2-layer model with that tokenizer into `out`. Returns the rows and the tokenizer path.
 */
export async function tinyCheckpoint(
  root: string,
  out: string,
  o: { problems: number; maxPositions: number },
): Promise<{ rows: Array<{ question: string; answer: string }>; tokenizer: string }> {
  const rows = readFileSync(join(DATA, 'corpus/gsm8k-train.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, o.problems)
    .map((l) => JSON.parse(l) as { question: string; answer: string });
  const corpus = join(root, 'corpus.jsonl');
  writeFileSync(corpus, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  let r = await cli('core', ['tokenizer', 'train', '--corpus', corpus, '--field', 'question,answer', '--vocab-size', '512', '--out', join(root, 'tok')]);
  expect(r.status, r.stderr).toBe(0);
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: 512,
    hidden_size: 64,
    intermediate_size: 192,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: o.maxPositions,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    hidden_act: 'silu',
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
  };
  writeFileSync(join(root, 'config.json'), JSON.stringify(config));
  const tokenizer = join(root, 'tok/tokenizer.json');
  r = await cli('core', ['init', '--config', join(root, 'config.json'), '--tokenizer', tokenizer, '--out', out, '--seed', '3']);
  expect(r.status, r.stderr).toBe(0);
  return { rows, tokenizer };
}
