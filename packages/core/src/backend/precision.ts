import { RhoError } from '../errors.ts';
import { loadNativeKernels } from './native.ts';

/**
 * Arithmetic of the matrix products. `bf16`: BF16 inputs, FP32 accumulation (oneDNN, where the CPU
 * has BF16 instructions), everything else FP32; `fp32`: FP32 throughout. `auto`: bf16 where supported.
 */
export type Precision = 'auto' | 'bf16' | 'fp32';

/** The arithmetic of the matrix products once `auto` is decided. */
export type ResolvedPrecision = 'bf16' | 'fp32';

export const PRECISIONS: readonly Precision[] = ['auto', 'bf16', 'fp32'];

/** `value` as a Precision; a BAD_CONFIG RhoError naming `field` (a flag, an env var) otherwise. */
export function parsePrecision(value: string, field = 'precision'): Precision {
  if ((PRECISIONS as readonly string[]).includes(value)) return value as Precision;
  throw new RhoError('BAD_CONFIG', `unknown precision '${value}'`, { field, expected: PRECISIONS, got: value });
}

export interface PrecisionResolution {
  precision: ResolvedPrecision;
  /** the one line to print when bf16 was asked for and cannot be had */
  fallback?: string;
}

/**
 * `auto` is bf16 where BF16 products run (`unavailable` null) and fp32 elsewhere, silently; an
 * explicit `bf16` that cannot run falls back to fp32 with a line saying why.
 */
export function resolvePrecision(requested: Precision, unavailable: string | null): PrecisionResolution {
  if (requested === 'fp32') return { precision: 'fp32' };
  if (unavailable === null) return { precision: 'bf16' };
  if (requested === 'auto') return { precision: 'fp32' };
  return { precision: 'fp32', fallback: `precision: bf16 requested, but ${unavailable}; using fp32` };
}

/**
 * Why BF16 products cannot run on `backend` in this process, or null when they can: they need the
 * addon's oneDNN with native BF16 (AVX512_BF16 or AMX) and a backend whose matmul is ours.
 */
export function bf16Unavailable(backend: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (backend !== 'cpu' && backend !== 'wasm') return `the ${backend} backend runs its own matmul`;
  if (env.RHO_NATIVE === '0') return 'the native addon is disabled (RHO_NATIVE=0)';
  const native = loadNativeKernels();
  if (!native.ok) return native.reason;
  const info = native.kernels.dnnlInfo();
  if (!info.ready) return info.isa;
  if (!info.bf16) return `this CPU has no native BF16 matmul (oneDNN dispatches to ${info.isa})`;
  return null;
}

// One setting per process: what was asked (setPrecision, else RHO_PRECISION, else auto) and what
// it resolved to, decided at the first use so that the fallback line is printed once.
let requested: Precision | undefined;
let resolved: ResolvedPrecision | undefined;
const printed = new Set<string>();

/**
 * Asks for a precision before initBackend (a CLI's --precision); overrides RHO_PRECISION. May be
 * called again at run time (benchmarks compare both): the next product uses the new setting.
 */
export function setPrecision(p: Precision): void {
  requested = parsePrecision(p);
  resolved = undefined;
}

/** What was asked for: setPrecision's value, else RHO_PRECISION, else auto. */
export function requestedPrecision(env: NodeJS.ProcessEnv = process.env): Precision {
  return requested ?? parsePrecision(env.RHO_PRECISION ?? 'auto', 'RHO_PRECISION');
}

export interface PrecisionOptions {
  /** the tfjs backend in use; cpu or wasm (where our kernels run) when not given */
  backend?: string;
  env?: NodeJS.ProcessEnv;
  /** where the fallback line goes; stderr by default */
  log?: (line: string) => void;
}

/** The precision the matrix products run in, resolved once (until the next setPrecision). */
export function activePrecision(opts: PrecisionOptions = {}): ResolvedPrecision {
  if (resolved) return resolved;
  const env = opts.env ?? process.env;
  const wanted = requestedPrecision(env);
  const r = resolvePrecision(wanted, wanted === 'fp32' ? null : bf16Unavailable(opts.backend ?? 'wasm', env));
  if (r.fallback && !printed.has(r.fallback)) {
    printed.add(r.fallback);
    (opts.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(r.fallback);
  }
  resolved = r.precision;
  return resolved;
}

/** Forgets the request, the resolution (RHO_PRECISION is read again) and the lines printed. For tests. */
export function resetPrecision(): void {
  requested = undefined;
  resolved = undefined;
  printed.clear();
}
