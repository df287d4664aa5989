import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { RhoError } from '../../errors.ts';
import { loadProgressBar } from '../progress.ts';
import { convertToGguf, GGUF_OUT_TYPES, type GgufOutType } from '../../gguf/convert.ts';

const size = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`);

/** `pnpm core convert <hf-dir> --to gguf`: a checkpoint as a file llama.cpp runs. */
export default new Command('convert')
  .description(
    "convert a Hugging Face Llama/Mistral checkpoint directory into a GGUF v3 file for llama.cpp (llama metadata, q_proj/k_proj rows permuted to llama.cpp's rotary layout, " +
      "tokenizer.json as llama.cpp's vocabulary: SentencePiece-style BPE as `llama`, byte-level BPE as `gpt2` with its merges). " +
      "Mistral's sliding window is recorded, and the llama.cpp engine refuses sequences that would pass it",
  )
  .argument('<hf-dir>', 'checkpoint directory (config.json, safetensors weights, tokenizer.json if any)')
  .addOption(new Option('--to <format>', 'output format').choices(['gguf']).makeOptionMandatory())
  .addOption(
    new Option(
      '--type <type>',
      "weight storage: f32, f16, bf16, or q8_0 (8-bit blocks of 32 with an F16 scale; rows not a multiple of 32 stay f16, as llama.cpp's converter does). Norms stay f32",
    )
      .choices(GGUF_OUT_TYPES as string[])
      .makeOptionMandatory(),
  )
  .requiredOption('--out <model.gguf>', 'file to write (written to a temporary file beside it, renamed when complete)')
  .option('--name <name>', 'general.name (default: the directory name)')
  .option('--force', 'replace an existing file')
  .action((dir: string, opts: { to: 'gguf'; type: GgufOutType; out: string; name?: string; force?: boolean }) => {
    if (existsSync(opts.out) && !opts.force) throw new RhoError('BAD_CONFIG', 'output file exists', { file: opts.out, hint: 'pass --force to replace it' });
    const bar = loadProgressBar('convert', { unit: 'MB' });
    const started = Date.now();
    let r: ReturnType<typeof convertToGguf>;
    try {
      r = convertToGguf(dir, {
        type: opts.type,
        out: opts.out,
        name: opts.name,
        onProgress: bar.onLoadProgress,
      });
    } finally {
      bar.stop();
    }
    const s = ((Date.now() - started) / 1000).toFixed(1);
    const fallback = r.f16Fallbacks.length ? `; ${r.f16Fallbacks.length} tensors kept in f16 (rows not a multiple of 32)` : '';
    process.stdout.write(
      `wrote ${opts.out}: ${size(r.bytes)}, ${r.tensors} tensors, ${opts.type} weights, tokenizer ${r.tokenizer}${r.config.slidingWindow !== null ? `, sliding window ${r.config.slidingWindow}` : ''}${fallback}, ${s} s\n`,
    );
  });
