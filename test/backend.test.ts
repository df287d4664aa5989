/**
 * End to end: the OpenBLAS addon built from source with the system compiler, and the backend line
 * and figures a real command prints. (Training on wasm: packages/core/src/backend/wasm-training.test.ts.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNativeKernels, NATIVE_ADDON_VERSION } from '@rho/core';

const ROOT = resolve(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'rho-backend-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('native addon', () => {
  it('builds from source against the local Node headers and OpenBLAS, and multiplies correctly', () => {
    const out = join(tmp, 'rho_native.node');
    execFileSync(process.execPath, [join(ROOT, 'packages/core/native/build.mjs'), '--strict', '--out', out], { stdio: 'pipe', timeout: 120_000 });
    const loaded = loadNativeKernels(out);
    if (!loaded.ok) throw new Error(loaded.reason);
    expect(loaded.kernels.version).toBe(NATIVE_ADDON_VERSION);
    // 2 batches of (3x4)ᵀ·(4x5)... A stored transposed [4,3], B [4,5]; checked against a plain loop
    const m = 3,
      k = 4,
      n = 5;
    const a = Float32Array.from({ length: 2 * k * m }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 2 * k * n }, (_, i) => Math.cos(i));
    const c = new Float32Array(2 * m * n);
    loaded.kernels.sgemmBatched(a, b, c, Int32Array.from([0, k * m]), Int32Array.from([0, k * n]), m, n, k, true, false);
    for (let batch = 0; batch < 2; batch++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let want = 0;
          for (let p = 0; p < k; p++) want += a[batch * k * m + p * m + i]! * b[batch * k * n + p * n + j]!;
          expect(c[batch * m * n + i * n + j]).toBeCloseTo(want, 5);
        }
      }
    }
    expect(loaded.kernels.threads()).toBeGreaterThan(0);
    // every part is in the one build, exactly the functions NativeKernels types (their arithmetic:
    // the tests beside each TS side)
    expect(Object.keys(loaded.kernels).sort()).toEqual([
      'adamwUpdate',
      'bf16ToF32',
      'crossEntropyBackward',
      'crossEntropyForward',
      'dnnlInfo',
      'dnnlThreads',
      'engineCache',
      'engineCacheBytes',
      'engineCacheFork',
      'engineCacheLength',
      'engineCacheReset',
      'engineCacheTokenBytes',
      'engineForward',
      'engineModel',
      'engineProfile',
      'engineRelease',
      'f32ToBf16',
      'gemmBf16Batched',
      'gemmF32Batched',
      'mapFile',
      'mapSize',
      'mapTouch',
      'sgemmBatched',
      'threads',
      'trainBackward',
      'trainForward',
      'version',
    ]);
  }, 120_000);

  it('rejects mismatched arguments instead of reading out of bounds', () => {
    const loaded = loadNativeKernels(join(tmp, 'rho_native.node'));
    if (!loaded.ok) throw new Error(loaded.reason);
    const small = new Float32Array(4);
    expect(() => loaded.kernels.sgemmBatched(small, small, new Float32Array(4), Int32Array.from([0]), Int32Array.from([0]), 3, 3, 3, false, false)).toThrow(
      /too small|out of range/,
    );
  });
});

describe('native addon fallback', () => {
  it('a failed build warns and succeeds (installs never fail on it); --strict fails', () => {
    const build = join(ROOT, 'packages/core/native/build.mjs');
    const env = { ...process.env, CC: 'false' };
    const soft = spawnSync(process.execPath, [build, '--out', join(tmp, 'never.node')], { env, encoding: 'utf8' });
    expect(soft.status).toBe(0);
    expect(soft.stderr).toMatch(/rho native: not built \(false failed/);
    const strict = spawnSync(process.execPath, [build, '--strict', '--out', join(tmp, 'never.node')], { env, encoding: 'utf8' });
    expect(strict.status).toBe(1);
    expect(existsSync(join(tmp, 'never.node'))).toBe(false);
  });

  it('a missing or broken addon is reported, not thrown', () => {
    const missing = loadNativeKernels(join(tmp, 'absent.node'));
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.reason).toMatch(/not built/);
    writeFileSync(join(tmp, 'broken.node'), 'not a shared object');
    const broken = loadNativeKernels(join(tmp, 'broken.node'));
    expect(!broken.ok && broken.reason).toMatch(/failed to load/);
  });

  it('an addon built from sources of another version is refused whole, with the command that rebuilds it', () => {
    // what require gives for a build from before the addon had a version, and for a later one
    writeFileSync(join(tmp, 'unversioned.cjs'), 'module.exports = { sgemmBatched() {}, threads() { return 1; } };');
    writeFileSync(join(tmp, 'newer.cjs'), `module.exports = { version: ${NATIVE_ADDON_VERSION + 1} };`);
    const unversioned = loadNativeKernels(join(tmp, 'unversioned.cjs'));
    expect(!unversioned.ok && unversioned.reason).toMatch(/other sources \(version none, these need \d+\); run node packages\/core\/native\/build\.mjs/);
    const newer = loadNativeKernels(join(tmp, 'newer.cjs'));
    expect(!newer.ok && newer.reason).toMatch(new RegExp(`version ${NATIVE_ADDON_VERSION + 1}, these need ${NATIVE_ADDON_VERSION}`));
  });
});

describe('pnpm bench backend (a real command)', () => {
  it('prints the backend line once on stderr and its figures as JSON', () => {
    const env = { ...process.env, RHO_BACKEND: '' };
    const r = spawnSync('pnpm', ['-s', 'bench', 'backend', '--json', '--iters', '1'], { cwd: ROOT, env, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('backend: '));
    expect(lines).toHaveLength(1);
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(json.backend).toBe(lines[0]!.slice('backend: '.length).split(' ')[0]);
    expect(json.matmul_gflops).toBeGreaterThan(0);
    // the addon's products: oneDNN where the build has it, else OpenBLAS
    if (loadNativeKernels().ok) expect(['onednn', 'openblas']).toContain(json.matmul);
  }, 300_000);
});

describe('pnpm bench core (a real command)', () => {
  it('prints every figure (training, scoring and decoding tokens/s, peak RSS, MFU), and the decoder in use', () => {
    const r = spawnSync('pnpm', ['-s', 'bench', 'core', '--preset', 'tiny', '--steps', '1', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    for (const key of [
      'train_tokens_per_s',
      'score_tokens_per_s',
      'decode_b1_tokens_per_s',
      'decode_b16_tokens_per_s',
      'nocache_b1_tokens_per_s',
      'peak_rss_mb',
      'mfu',
    ]) {
      expect(Number.isFinite(json[key]) && json[key] > 0, key).toBe(true);
    }
    expect(json.tensor_drift_per_step).toBe(0);
    expect(json.decoder).toBe(loadNativeKernels().ok || process.env.CI ? 'native' : 'tfjs');
    expect(r.stdout).toMatch(/KV-cache decoder\s+(native|tfjs)/);
  }, 300_000);

  it('a benchmark without its data directory fails with one line naming it, not a stack trace', () => {
    const r = spawnSync('pnpm', ['-s', 'bench', 'eval', '--data-dir', join(tmp, 'no-such-dir')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bench eval: error: data directory .*no-such-dir does not exist/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);
});
