import { join } from 'node:path';
import { Command } from 'commander';
import { RhoError } from '../../errors.ts';
import { positiveInt } from '../options.ts';
import { progressBar, type ProgressBar } from '../progress.ts';
import { writeJsonAtomic } from '../../io/atomic.ts';
import { readCorpusTexts } from '../../tokenizer/corpus.ts';
import { Tokenizer } from '../../tokenizer/tokenizer.ts';
import { DEFAULT_SPECIAL_TOKENS, trainBpe } from '../../tokenizer/train.ts';

const train = new Command('train')
  .description('train a byte-level BPE tokenizer.json (GPT-2 style) on a corpus, for small models')
  .requiredOption('--corpus <files...>', 'corpus files: .jsonl (one text per row) or plain text (one text per file)')
  .option('--field <names>', 'jsonl field(s) holding the text, joined by newlines (e.g. question,answer)', 'text')
  .requiredOption('--vocab-size <n>', 'vocabulary size, special tokens and 256 bytes included', positiveInt('--vocab-size'))
  .requiredOption('--out <dir>', 'directory to write tokenizer.json and tokenizer_config.json into')
  .option('--special <tokens>', 'comma-separated special tokens, given the first ids', DEFAULT_SPECIAL_TOKENS.join(','))
  .option('--split-digits', 'give every digit its own token, as Llama does')
  .option('--min-frequency <n>', 'never merge a pair seen fewer times', positiveInt('--min-frequency'), 2)
  .action((opts: { corpus: string[]; field: string; vocabSize: number; out: string; special: string; splitDigits?: boolean; minFrequency: number }) => {
    const t0 = performance.now();
    const texts = readCorpusTexts(opts.corpus, opts.field.split(/[,+]/).filter(Boolean));
    const specials = opts.special.split(',').filter(Boolean);
    let bar: ProgressBar | undefined;
    const json = trainBpe(texts, {
      vocabSize: opts.vocabSize,
      specialTokens: specials,
      splitDigits: opts.splitDigits ?? false,
      minFrequency: opts.minFrequency,
      onProgress: (done, total) => {
        if (done % 64 === 0 || done === total) (bar ??= progressBar('merges', total)).update(done);
      },
    });
    bar?.stop();
    const tok = Tokenizer.fromJSON(json);
    let tokens = 0;
    let chars = 0;
    for (const t of texts) {
      tokens += tok.encode(t, { addBos: false }).length;
      chars += t.length;
    }
    const file = join(opts.out, 'tokenizer.json');
    writeJsonAtomic(file, json);
    writeJsonAtomic(join(opts.out, 'tokenizer_config.json'), tokenizerConfig(specials));
    const merges = (json.model as { merges: unknown[] }).merges.length;
    if (tok.vocabSize < opts.vocabSize)
      process.stderr.write(`note: the corpus supports only ${tok.vocabSize} tokens at --min-frequency ${opts.minFrequency}\n`);
    process.stdout.write(
      `wrote ${file}: vocab ${tok.vocabSize} (${merges} merges) from ${texts.length} texts, ` +
        `${(chars / Math.max(tokens, 1)).toFixed(2)} chars/token on the corpus, ${((performance.now() - t0) / 1000).toFixed(1)}s\n`,
    );
  });

/** Hugging Face reads the special-token roles from here, not from tokenizer.json. */
function tokenizerConfig(specials: string[]): Record<string, unknown> {
  const has = (t: string) => (specials.includes(t) ? t : null);
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: has('<s>'),
    eos_token: has('</s>'),
    unk_token: has('<unk>'),
    pad_token: has('<pad>'),
    add_bos_token: specials.includes('<s>'),
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
  };
}

const encode = new Command('encode')
  .description('print the token ids and pieces of a text (debugging)')
  .argument('<tokenizer>', 'tokenizer.json, or a directory holding one')
  .argument('<text...>', 'text to encode (words joined by spaces)')
  .option('--no-bos', 'add no special tokens')
  .option('--json', 'print the ids as one JSON array')
  .action((path: string, words: string[], opts: { bos: boolean; json?: boolean }) => {
    const tok = Tokenizer.fromFile(path);
    const ids = tok.encode(words.join(' '), opts.bos ? {} : { addBos: false, addEos: false });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(ids)}\n`);
      return;
    }
    process.stdout.write(`${ids.length} tokens\n`);
    for (const id of ids) process.stdout.write(`${String(id).padStart(7)}  ${JSON.stringify(tok.idToToken(id))}\n`);
  });

const decode = new Command('decode')
  .description('print the text of token ids')
  .argument('<tokenizer>', 'tokenizer.json, or a directory holding one')
  .argument('<ids...>', 'token ids')
  .option('--skip-special', 'leave out special tokens')
  .action((path: string, ids: string[], opts: { skipSpecial?: boolean }) => {
    const tok = Tokenizer.fromFile(path);
    const nums = ids.map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0 || n >= tok.vocabSize)
        throw new RhoError('BAD_INPUT', `token id ${s} is outside the vocabulary (0..${tok.vocabSize - 1})`, { field: 'ids' });
      return n;
    });
    process.stdout.write(`${tok.decode(nums, { skipSpecial: opts.skipSpecial ?? false })}\n`);
  });

/** `pnpm core tokenizer train|encode|decode`. */
export default new Command('tokenizer').description('train, inspect and use tokenizer.json files').addCommand(train).addCommand(encode).addCommand(decode);
