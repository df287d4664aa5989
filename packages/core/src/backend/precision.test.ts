import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RhoError } from '../errors.ts';
import { initBackendInfo, resetBackendSelection } from './index.ts';
import { loadNativeKernels } from './native.ts';
import { activePrecision, bf16Unavailable, parsePrecision, requestedPrecision, resetPrecision, resolvePrecision, setPrecision } from './precision.ts';

afterEach(() => resetPrecision());

describe('resolvePrecision', () => {
  it('auto follows the hardware silently; fp32 is always fp32', () => {
    expect(resolvePrecision('auto', null)).toEqual({ precision: 'bf16' });
    expect(resolvePrecision('auto', 'no BF16 here')).toEqual({ precision: 'fp32' });
    expect(resolvePrecision('fp32', null)).toEqual({ precision: 'fp32' });
  });
  it('an explicit bf16 that cannot run falls back with one line saying why', () => {
    expect(resolvePrecision('bf16', null)).toEqual({ precision: 'bf16' });
    expect(resolvePrecision('bf16', 'this CPU has no native BF16 matmul')).toEqual({
      precision: 'fp32',
      fallback: 'precision: bf16 requested, but this CPU has no native BF16 matmul; using fp32',
    });
  });
});

describe('the process setting', () => {
  it('rejects an unknown precision, naming where it came from', () => {
    expect(() => parsePrecision('fp16', '--precision')).toThrow(RhoError);
    expect(() => requestedPrecision({ RHO_PRECISION: 'half' })).toThrow(/unknown precision 'half'/);
    expect(() => setPrecision('int8' as never)).toThrow(RhoError);
  });
  it('setPrecision overrides RHO_PRECISION, which overrides auto', () => {
    expect(requestedPrecision({})).toBe('auto');
    expect(requestedPrecision({ RHO_PRECISION: 'fp32' })).toBe('fp32');
    setPrecision('bf16');
    expect(requestedPrecision({ RHO_PRECISION: 'fp32' })).toBe('bf16');
  });
  it('a bf16 request without the addon resolves to fp32, printing the reason once', () => {
    const lines: string[] = [];
    const opts = { env: { RHO_NATIVE: '0' }, log: (l: string) => lines.push(l) };
    setPrecision('bf16');
    expect(activePrecision(opts)).toBe('fp32');
    expect(activePrecision(opts)).toBe('fp32');
    setPrecision('bf16'); // asked again: resolved again, but the line is not repeated
    expect(activePrecision(opts)).toBe('fp32');
    expect(lines).toEqual(['precision: bf16 requested, but the native addon is disabled (RHO_NATIVE=0); using fp32']);
    setPrecision('auto');
    expect(activePrecision(opts)).toBe('fp32');
    expect(lines).toHaveLength(1);
  });
  it('initBackend takes the precision, and a bf16 it cannot meet is one line before the backend line', async () => {
    resetBackendSelection();
    const lines: string[] = [];
    const info = await initBackendInfo({ env: { RHO_BACKEND: 'cpu', RHO_NATIVE: '0' }, precision: 'bf16', log: (l) => lines.push(l) });
    resetBackendSelection();
    expect(info.precision).toBe('fp32');
    expect(lines).toEqual([
      'precision: bf16 requested, but the native addon is disabled (RHO_NATIVE=0); using fp32',
      'backend: cpu (matmul: tfjs (disabled by RHO_NATIVE=0))',
    ]);
  }, 60_000);
  it('BF16 needs our matmul: not on a backend that brings its own', () => {
    expect(bf16Unavailable('tensorflow', {})).toMatch(/tensorflow backend runs its own matmul/);
  });
});

const native = loadNativeKernels();
const info = native.ok ? native.kernels.dnnlInfo() : undefined;
// oneDNN honours ONEDNN_MAX_CPU_ISA: capped below AVX512_BF16, this CPU is one without BF16
describe.skipIf(!info?.bf16)('on a CPU without BF16 (oneDNN capped at AVX512_CORE)', () => {
  it('RHO_PRECISION=bf16 falls back to fp32 with one line on stderr, before the backend line', () => {
    const index = fileURLToPath(new URL('./index.ts', import.meta.url));
    const script = `const { initBackendInfo } = await import(${JSON.stringify(index)});
const info = await initBackendInfo();
console.log(JSON.stringify({ precision: info.precision, matmul: info.matmul }));`;
    const env = { ...process.env, ONEDNN_MAX_CPU_ISA: 'AVX512_CORE', RHO_PRECISION: 'bf16', RHO_BACKEND: 'wasm' };
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ precision: 'fp32', matmul: 'onednn' });
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('precision:'))).toEqual([
      'precision: bf16 requested, but this CPU has no native BF16 matmul (oneDNN dispatches to avx512_core); using fp32',
    ]);
    expect(lines.findIndex((l) => l.startsWith('precision:'))).toBeLessThan(lines.findIndex((l) => l.startsWith('backend:')));
    expect(lines.find((l) => l.startsWith('backend:'))).toMatch(/matmul: oneDNN avx512_core, fp32, \d+ threads/);
  }, 120_000);
});
