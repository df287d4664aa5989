import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RhoError } from '../errors.ts';
import { buildAddedSplitter, type Segment } from './added.ts';
import { BpeModel } from './bpe.ts';
import { buildDecoder, type Decoder } from './decoder.ts';
import { buildNormalizer, type Normalizer } from './normalizer.ts';
import { buildPostProcessor, type PostProcessor } from './postprocess.ts';
import { buildPreTokenizer, type PreTokenizer } from './pretokenizer.ts';
import {
  bpeModelSchema,
  parseWith,
  tokenContent,
  tokenizerConfigSchema,
  tokenizerJsonSchema,
  type AddedToken,
  type TokenizerConfig,
  type TokenizerJson,
} from './schema.ts';

export interface EncodeOptions {
  /**
   * Leave both flags unset for the tokenizer's own special tokens (its post-processor, or
   * tokenizer_config.json's add_bos_token/add_eos_token: Hugging Face's add_special_tokens=True).
   * Set either to choose exactly: the unset one then keeps the tokenizer's default.
   */
  addBos?: boolean;
  addEos?: boolean;
  /**
   * Whether special-token text in the input (`</s>` written in a document) becomes the special id
   * (default, as Hugging Face does) or is encoded as ordinary text, which raw corpora may want.
   */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Drop special added tokens (`<s>`, `</s>`, padding) from the text. */
  skipSpecial?: boolean;
}

const BOS_NAMES = ['<s>', '<|begin_of_text|>', '<bos>', '<|startoftext|>', '<|endoftext|>'];
const EOS_NAMES = ['</s>', '<|end_of_text|>', '<eos>', '<|endoftext|>', '<|im_end|>'];
const PAD_NAMES = ['<pad>', '<|pad|>', '[PAD]', '<|finetune_right_pad_id|>'];

/**
 * A Hugging Face tokenizer.json (BPE models: Llama's byte-fallback BPE, GPT-2's byte-level BPE)
 * with the encode/decode behaviour of the `tokenizers` library. Holds a per-word cache, hence a
 * class with `dispose()`.
 */
export class Tokenizer {
  readonly json: TokenizerJson;
  readonly vocabSize: number;
  readonly unkId: number | undefined;
  readonly padId: number | undefined;
  private readonly bos: number | undefined;
  private readonly eos: number | undefined;
  private readonly model: BpeModel;
  private readonly normalize: Normalizer;
  private readonly preTokenize: PreTokenizer;
  private readonly postProcess: PostProcessor;
  private readonly decoder: Decoder | undefined;
  private readonly splitAdded: (text: string) => Segment[];
  private readonly added = new Map<number, AddedToken>();
  private readonly defaultBos: boolean;
  private readonly defaultEos: boolean;
  private readonly usesTemplate: boolean;

  /** Prefer `fromFile`/`fromJSON`, which validate; this takes already-parsed objects. */
  constructor(json: TokenizerJson, config?: TokenizerConfig, file?: string) {
    this.json = json;
    const modelType = json.model.type ?? 'BPE';
    if (modelType !== 'BPE') {
      throw new RhoError('UNSUPPORTED', `Unknown model type: ${modelType}`, {
        file,
        field: 'model.type',
        hint: 'only BPE tokenizers (Llama, Mistral, GPT-2 style) are supported',
      });
    }
    const m = parseWith(bpeModelSchema, json.model, file, 'tokenizer model');
    if (m.continuing_subword_prefix || m.end_of_word_suffix) {
      throw new RhoError('UNSUPPORTED', 'BPE with continuing_subword_prefix/end_of_word_suffix', { file, field: 'model' });
    }
    try {
      this.model = new BpeModel({
        vocab: m.vocab,
        merges: m.merges,
        unkToken: m.unk_token ?? null,
        byteFallback: m.byte_fallback ?? false,
        fuseUnk: m.fuse_unk ?? false,
        ignoreMerges: m.ignore_merges ?? false,
      });
      this.normalize = buildNormalizer(json.normalizer);
      this.preTokenize = buildPreTokenizer(json.pre_tokenizer);
      this.postProcess = buildPostProcessor(json.post_processor);
      this.decoder = json.decoder ? buildDecoder(json.decoder) : undefined;
    } catch (e) {
      if (e instanceof RhoError && file && !e.context.file) throw new RhoError(e.code, e.message, { ...e.context, file }, { cause: e.cause });
      throw e;
    }
    for (const t of json.added_tokens) this.added.set(t.id, t);
    this.splitAdded = buildAddedSplitter(json.added_tokens);
    this.vocabSize = Math.max(this.model.vocabSize, ...json.added_tokens.map((t) => t.id + 1));
    this.unkId = this.model.unkId;

    const find = (configured: string | undefined, names: string[]): number | undefined => {
      if (configured !== undefined) return this.tokenToId(configured);
      for (const n of names) {
        const id = this.tokenToId(n);
        if (id !== undefined) return id;
      }
      return undefined;
    };
    const templated = this.postProcess([]);
    this.bos = find(tokenContent(config?.bos_token), BOS_NAMES);
    this.eos = find(tokenContent(config?.eos_token), EOS_NAMES);
    this.padId = find(tokenContent(config?.pad_token) ?? undefined, config?.pad_token === null ? [] : PAD_NAMES);
    // Hugging Face's Llama tokenizer rebuilds its post-processor from these two flags.
    this.usesTemplate = config?.add_bos_token === undefined && config?.add_eos_token === undefined;
    this.defaultBos = config?.add_bos_token ?? (templated.length > 0 && templated[0] === this.bos);
    this.defaultEos =
      config?.add_eos_token ?? (templated.length > 0 && templated[templated.length - 1] === this.eos && (templated.length > 1 || this.bos !== this.eos));
  }

  /** Load `tokenizer.json` (a file, or a directory holding one) and the tokenizer_config.json beside it, if any. */
  static fromFile(path: string): Tokenizer {
    const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'tokenizer.json') : path;
    const json = readJsonFile(file, 'a Hugging Face tokenizer.json; train one with `pnpm core tokenizer train`');
    const configFile = join(dirname(file), 'tokenizer_config.json');
    const config = existsSync(configFile) ? parseWith(tokenizerConfigSchema, readJsonFile(configFile, ''), configFile, 'tokenizer config') : undefined;
    return new Tokenizer(parseWith(tokenizerJsonSchema, json, file, 'tokenizer.json'), config, file);
  }

  static fromJSON(obj: unknown, config?: unknown): Tokenizer {
    const cfg = config === undefined ? undefined : parseWith(tokenizerConfigSchema, config, undefined, 'tokenizer config');
    return new Tokenizer(parseWith(tokenizerJsonSchema, obj, undefined, 'tokenizer.json'), cfg, undefined);
  }

  get bosId(): number {
    if (this.bos === undefined)
      throw new RhoError('BAD_INPUT', 'this tokenizer has no beginning-of-sequence token', {
        hint: 'name one as bos_token in a tokenizer_config.json beside tokenizer.json',
      });
    return this.bos;
  }

  get eosId(): number {
    if (this.eos === undefined)
      throw new RhoError('BAD_INPUT', 'this tokenizer has no end-of-sequence token', {
        hint: 'name one as eos_token in a tokenizer_config.json beside tokenizer.json',
      });
    return this.eos;
  }

  /** Ids of the special added tokens. */
  get specialIds(): number[] {
    return [...this.added.values()].filter((t) => t.special).map((t) => t.id);
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    let first = true;
    const segments: Segment[] = opts.parseSpecial === false ? (text ? [{ text }] : []) : this.splitAdded(text);
    for (const seg of segments) {
      if (seg.id !== undefined) {
        ids.push(seg.id);
      } else {
        for (const piece of this.preTokenize([this.normalize(seg.text)], first)) this.model.tokenize(piece, ids);
      }
      first = false;
    }
    if (opts.addBos === undefined && opts.addEos === undefined && this.usesTemplate) return this.postProcess(ids);
    const bos = opts.addBos ?? this.defaultBos;
    const eos = opts.addEos ?? this.defaultEos;
    if (bos) ids.unshift(this.bosId);
    if (eos) ids.push(this.eosId);
    return ids;
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const tokens: string[] = [];
    for (const id of ids) {
      const added = this.added.get(id);
      if (added) {
        if (!(opts.skipSpecial && added.special)) tokens.push(added.content);
        continue;
      }
      const tok = this.model.idToToken[id];
      if (tok !== undefined) tokens.push(tok); // ids past the vocabulary (padded embeddings) decode to nothing, as in Hugging Face
    }
    return this.decoder ? this.decoder(tokens).join('') : tokens.join(' ');
  }

  idToToken(id: number): string | undefined {
    return this.added.get(id)?.content ?? this.model.idToToken[id];
  }

  tokenToId(token: string): number | undefined {
    for (const t of this.added.values()) if (t.content === token) return t.id;
    return this.model.tokenToId.get(token);
  }

  dispose(): void {
    this.model.clearCache();
  }
}

function readJsonFile(file: string, hint: string): unknown {
  if (!existsSync(file)) throw new RhoError('NOT_FOUND', 'no such file', { file, ...(hint ? { hint } : {}) });
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RhoError('BAD_INPUT', `not valid JSON: ${(e as Error).message}`, { file }, { cause: e });
  }
}
