import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { int, num, positiveInt, progressBar, RhoError, trainBpe, writeJsonAtomic } from '@rho/core';
import { readDocs } from '../../shards/input.ts';
import { prepareCorpus } from '../../shards/prepare.ts';
import { loadTokenizer } from '../../shards/tokenizer.ts';

interface Opts {
  input: string[];
  field: string;
  tokenizer?: string;
  trainBpe?: number;
  val?: string;
  valFraction: number;
  seed: number;
  out: string;
  force?: boolean;
}

export default new Command('prepare')
  .description('tokenize a corpus (jsonl or text files) into a flat token file + document index with train/val splits')
  .requiredOption('--input <files...>', 'corpus files: .jsonl (see --field) or plain text (one document per file)')
  .option('--field <names>', 'jsonl field(s) holding the text, comma-separated and joined by a newline (GSM8K: question,answer)', 'text')
  .option('--tokenizer <spec>', 'bytes | a tokenizer.json | a checkpoint directory with one')
  .option('--train-bpe <vocab>', 'instead: train a byte-level BPE vocabulary of this size on the training documents', positiveInt('--train-bpe'))
  .option('--val <file>', 'validation corpus (default: hold out --val-fraction of the documents)')
  .option('--val-fraction <f>', 'share of documents held out for validation', num('--val-fraction', { min: 0, lt: 1 }), 0.05)
  .option('--seed <n>', 'seed of the held-out choice', int('--seed'), 0)
  .requiredOption('--out <dir>', 'prepared corpus directory to create')
  .option('--force', 'overwrite an existing prepared corpus')
  .action(async (o: Opts) => {
    if (!o.tokenizer === (o.trainBpe === undefined))
      throw new RhoError('BAD_CONFIG', 'give exactly one of --tokenizer and --train-bpe', { field: 'tokenizer' });
    if (existsSync(join(o.out, 'meta.json')) && !o.force)
      throw new RhoError('BAD_CONFIG', 'output is already a prepared corpus', { file: o.out, hint: 'pass --force to overwrite' });
    const fields = o.field
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    let spec = o.tokenizer ?? '';
    if (o.trainBpe !== undefined) {
      const texts = o.input.flatMap((f) => readDocs(f, fields).map((d) => d.text));
      mkdirSync(o.out, { recursive: true });
      spec = join(o.out, 'tokenizer.json');
      writeJsonAtomic(spec, trainBpe(texts, { vocabSize: o.trainBpe }));
      process.stderr.write(`trained a ${o.trainBpe}-token BPE vocabulary on ${texts.length} documents\n`);
    }
    const tok = await loadTokenizer(spec);
    let bar: ReturnType<typeof progressBar> | undefined;
    const meta = prepareCorpus({
      inputs: o.input,
      fields,
      out: o.out,
      tokenizer: tok,
      val: o.val ?? null,
      valFraction: o.valFraction,
      seed: o.seed,
      onDoc: (d, t) => (d % 100 === 0 || d === t ? (bar ??= progressBar('prepare', t)).update(d) : undefined),
    });
    bar?.stop();
    for (const [name, s] of Object.entries(meta.splits))
      process.stdout.write(`${name}: ${s.docs} documents, ${s.tokens} tokens${s.noise ? ' (with noise flags)' : ''}\n`);
    process.stdout.write(`wrote ${o.out} (${meta.dtype}, vocabulary ${meta.vocabSize}); files: ${readdirSync(o.out).sort().join(' ')}\n`);
  });
