/**
 * The tokenizer commands end to end: `pnpm core tokenizer train` on the real GSM8K training corpus
 * writes a tokenizer.json that loads, round-trips test-set text and agrees with `encode`/`decode`;
 * bad input exits non-zero with one message naming the file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { Tokenizer } from '@rho/core';

const DATA = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');
const CORPUS = join(DATA, 'corpus/gsm8k-train.jsonl');
const tmp = mkdtempSync(join(tmpdir(), 'rho-tokenizer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function core(...args: string[]) {
  const r = spawnSync('pnpm', ['--silent', 'core', ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('pnpm core tokenizer', () => {
  const out = join(tmp, 'tok');

  it('trains a 4096-token byte-level BPE on GSM8K that loads and round-trips the test set', () => {
    const r = core('tokenizer', 'train', '--corpus', CORPUS, '--field', 'question,answer', '--vocab-size', '4096', '--split-digits', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/vocab 4096 \(3836 merges\) from 7473 texts/);
    const json = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
    expect(json.pre_tokenizer.type).toBe('Sequence');
    expect(JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')).eos_token).toBe('</s>');

    const tok = Tokenizer.fromFile(out);
    expect([tok.vocabSize, tok.bosId, tok.eosId]).toEqual([4096, 1, 2]);
    const questions = readFileSync(join(DATA, 'data/gsm8k/test.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { question: string }).question);
    for (const q of questions) expect(tok.decode(tok.encode(q), { skipSpecial: true })).toBe(q);
  });

  it('encode and decode agree with the library', () => {
    const text = 'Janet has 16 eggs; she eats 3.';
    const enc = core('tokenizer', 'encode', out, text, '--json');
    expect(enc.code, enc.err).toBe(0);
    const ids = JSON.parse(enc.out.trim()) as number[];
    expect(ids).toEqual(Tokenizer.fromFile(join(out, 'tokenizer.json')).encode(text));
    expect(ids[0]).toBe(1);
    expect(ids.filter((_, i) => i > 0).length).toBeGreaterThan(text.split(' ').length); // digits are split
    const dec = core('tokenizer', 'decode', out, ...ids.map(String), '--skip-special');
    expect(dec.code, dec.err).toBe(0);
    expect(dec.out).toBe(`${text}\n`);
  });

  it('reports a missing field once, naming the file and the fields present', () => {
    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify({ question: 'q' })}\n`);
    const r = core('tokenizer', 'train', '--corpus', bad, '--vocab-size', '300', '--out', join(tmp, 'never'));
    expect(r.code).toBe(1);
    expect(r.err).toContain(bad);
    expect(r.err).toMatch(/no string field "text"[\s\S]*fields present: question/);
    expect(r.err).not.toMatch(/internal error|at .*\.ts:/);
  });
});
