import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadNativeKernels, openmpDefaults } from './native.ts';

const native = loadNativeKernels();
const kernels = native.ok ? native.kernels : undefined;
const info = kernels?.dnnlInfo();
// the conversions exist in every build of the addon; the products need oneDNN
const runAddon = kernels || process.env.CI ? describe : describe.skip;
const runDnnl = info?.ready ? describe : describe.skip;
if (info && !info.ready) console.warn(`dnnl.test: oneDNN products skipped: ${info.isa}`);

/** Round to nearest even on the bit pattern, NaN made quiet: the conversion's definition. */
function bf16Bits(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0]!;
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

describe('openmpDefaults', () => {
  it('shortens the idle spin unless the user chose a wait policy or spin count', () => {
    expect(openmpDefaults({})).toEqual({ GOMP_SPINCOUNT: '1000' });
    expect(openmpDefaults({ OMP_WAIT_POLICY: 'ACTIVE' })).toEqual({});
    expect(openmpDefaults({ GOMP_SPINCOUNT: '300000' })).toEqual({});
  });
});

runAddon('f32ToBf16 / bf16ToF32', () => {
  it('rounds to nearest even, keeps signed zero, infinities and denormals, quiets NaN', () => {
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: a float32 to round, not π
    const src = new Float32Array([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -0, Infinity, -Infinity, 1e-40, -3.1415927, 65504, NaN]);
    const dst = new Uint16Array(src.length);
    kernels!.f32ToBf16(src, dst);
    // 1 + 2^-8 is a tie: to even (1); 1 + 3·2^-8 is a tie: to even (1 + 2^-6)
    expect(Array.from(dst.slice(0, 6))).toEqual([0x3f80, 0x3f80, 0x3f82, 0x8000, 0x7f80, 0xff80]);
    expect(dst[6]).not.toBe(0); // a denormal is rounded, not flushed
    expect(Array.from(dst)).toEqual(Array.from(src, bf16Bits));
    const back = new Float32Array(src.length);
    kernels!.bf16ToF32(dst, back);
    expect(back[0]).toBe(1);
    expect(Object.is(back[3], -0)).toBe(true);
    expect(back[7]).toBeCloseTo(-3.140625, 6);
    expect(Number.isNaN(back[9])).toBe(true);
  });

  it('a long array (split over threads) matches the definition everywhere', () => {
    const n = (1 << 18) + 12345;
    const bits = new Uint32Array(n);
    let x = 12345;
    for (let i = 0; i < n; i++) bits[i] = x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const src = new Float32Array(bits.buffer);
    const dst = new Uint16Array(n);
    kernels!.f32ToBf16(src, dst);
    let bad = 0;
    for (let i = 0; i < n; i++) if (dst[i] !== bf16Bits(src[i]!)) bad++;
    expect(bad).toBe(0);
  });

  it('rejects a destination shorter than the source', () => {
    expect(() => kernels!.f32ToBf16(new Float32Array(4), new Uint16Array(3))).toThrow(/f32ToBf16/);
  });
});

runDnnl('oneDNN products', () => {
  it('reports what it dispatches to, and BF16 only with an ISA that has it', () => {
    expect(info!.threads).toBeGreaterThan(0);
    expect(info!.isa).toMatch(/avx|amx|sse/);
    if (info!.bf16) expect(info!.isa).toMatch(/bf16|amx/);
  });

  it('dnnlThreads sets the thread count and reports it', () => {
    const before = kernels!.dnnlThreads();
    try {
      expect(kernels!.dnnlThreads(1)).toBe(1);
      expect(kernels!.dnnlInfo().threads).toBe(1);
    } finally {
      kernels!.dnnlThreads(before);
    }
  });

  // offsets that no single stride describes (a broadcast on each side) run product by product
  it.each(['gemmF32Batched', 'gemmBf16Batched'] as const)('%s over irregular offsets matches sgemmBatched', (fn) => {
    if (fn === 'gemmBf16Batched' && !info!.bf16) return;
    const [m, n, k] = [3, 4, 5];
    const a = Float32Array.from({ length: 2 * m * k }, (_, i) => ((i * 7) % 11) / 8 - 0.5);
    const b = Float32Array.from({ length: 3 * k * n }, (_, i) => ((i * 5) % 13) / 16 - 0.25);
    const aOff = Int32Array.from([0, m * k, 0, m * k]);
    const bOff = Int32Array.from([0, 0, k * n, 2 * k * n]);
    const want = new Float32Array(4 * m * n);
    const got = new Float32Array(4 * m * n);
    kernels!.sgemmBatched(a, b, want, aOff, bOff, m, n, k, false, false);
    kernels![fn](a, b, got, aOff, bOff, m, n, k, false, false);
    // the inputs are multiples of 1/16 with few bits: exact in BF16 too
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('zeros for an empty reduction, and range errors for bad offsets', () => {
    const c = new Float32Array(6).fill(7);
    kernels!.gemmF32Batched(new Float32Array(0), new Float32Array(0), c, Int32Array.of(0), Int32Array.of(0), 2, 3, 0, false, false);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() =>
      kernels!.gemmF32Batched(new Float32Array(4), new Float32Array(4), new Float32Array(4), Int32Array.of(1), Int32Array.of(0), 2, 2, 2, false, false),
    ).toThrow(/out of range/);
    expect(() =>
      kernels!.gemmF32Batched(new Float32Array(4), new Float32Array(4), new Float32Array(3), Int32Array.of(0), Int32Array.of(0), 2, 2, 2, false, false),
    ).toThrow(/too small/);
  });
});

describe('an addon built without oneDNN', () => {
  it('still builds (RHO_NO_DNNL=1 --strict), reports why, and refuses products instead of computing garbage', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rho-nodnnl-'));
    try {
      const out = join(dir, 'rho_native.node');
      const build = fileURLToPath(new URL('../../native/build.mjs', import.meta.url));
      const r = spawnSync(process.execPath, [build, '--strict', '--out', out], {
        env: { ...process.env, RHO_NO_DNNL: '1' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      if (r.status !== 0 && !process.env.CI && /not built/.test(r.stderr)) return; // no compiler or OpenBLAS here
      expect(r.status, r.stderr).toBe(0);
      const loaded = loadNativeKernels(out);
      if (!loaded.ok) throw new Error(loaded.reason);
      expect(loaded.kernels.dnnlInfo()).toMatchObject({ ready: false, bf16: false, isa: 'oneDNN not built in' });
      const x = new Float32Array(4);
      expect(() => loaded.kernels.gemmBf16Batched(x, x, new Float32Array(4), Int32Array.of(0), Int32Array.of(0), 2, 2, 2, false, false)).toThrow(
        /not available/,
      );
      const bits = new Uint16Array(1);
      loaded.kernels.f32ToBf16(Float32Array.of(1), bits);
      expect(bits[0]).toBe(0x3f80);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
