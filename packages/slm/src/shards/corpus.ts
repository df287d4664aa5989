import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type CorpusMeta, readCorpusMeta, splitFile, splitMeta } from './format.ts';
import { readDocIndex, TokenFile } from './token-file.ts';
import { windowCount } from './windows.ts';

/** One split of a prepared corpus, read lazily through file handles. */
export class CorpusSplit {
  readonly tokens: TokenFile;
  readonly noise: TokenFile | null;
  readonly docs: number[];
  constructor(
    readonly dir: string,
    readonly name: string,
    meta: CorpusMeta,
  ) {
    const s = splitMeta(meta, name, dir);
    this.tokens = new TokenFile(splitFile(dir, name, 'tokens'), meta.dtype);
    const noisePath = splitFile(dir, name, 'noise');
    this.noise = s.noise && existsSync(noisePath) ? new TokenFile(noisePath, 'uint8') : null;
    this.docs = readDocIndex(splitFile(dir, name, 'docs'));
  }
  get length(): number {
    return this.tokens.length;
  }
  windows(seqLen: number): number {
    return windowCount(this.length, seqLen);
  }
  dispose(): void {
    this.tokens.dispose();
    this.noise?.dispose();
  }
}

export class Corpus {
  private readonly open = new Map<string, CorpusSplit>();
  private constructor(
    readonly dir: string,
    readonly meta: CorpusMeta,
  ) {}
  static open(dir: string): Corpus {
    return new Corpus(dir, readCorpusMeta(dir));
  }
  split(name: string): CorpusSplit {
    let s = this.open.get(name);
    if (!s) this.open.set(name, (s = new CorpusSplit(this.dir, name, this.meta)));
    return s;
  }
  get tokenizerPath(): string | null {
    const p = join(this.dir, 'tokenizer.json');
    return existsSync(p) ? p : null;
  }
  dispose(): void {
    for (const s of this.open.values()) s.dispose();
    this.open.clear();
  }
}
