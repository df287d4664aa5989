import { join } from 'node:path';
import type { Corpus } from '../shards/corpus.ts';
import { writeByteTokenizerJson } from '../shards/tokenizer.ts';

/**
 * The tokenizer.json every checkpoint of a run carries, so each one can be evaluated on its own:
 * the one beside the weights the run starts from (the resumed checkpoint, else --init); failing
 * that, the one the corpus was prepared with; for a corpus of raw bytes, the byte vocabulary's,
 * written into the run directory. Null only for a tokenized corpus that kept no tokenizer.json.
 */
export function checkpointTokenizer(fromWeights: string | undefined, out: string, corpus: Corpus): string | null {
  if (fromWeights) return fromWeights;
  if (corpus.tokenizerPath) return corpus.tokenizerPath;
  if (corpus.meta.tokenizer.kind === 'bytes') return writeByteTokenizerJson(join(out, 'tokenizer.json'));
  return null;
}
