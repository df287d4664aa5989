import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { NATIVE_ADDON_VERSION, type NativeKernels } from './native-kernels.ts';

export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../native/build/rho_native.node', import.meta.url));

export type NativeLoad = { ok: true; kernels: NativeKernels } | { ok: false; reason: string };

let cached: NativeLoad | undefined;

/**
 * Loads the addon once. Never throws: a machine without OpenBLAS or a compiler simply runs tfjs's
 * own kernels, and the reason is reported next to the backend name. An addon built from sources of
 * another version is refused as a whole, with the command that rebuilds it.
 */
export function loadNativeKernels(path: string = NATIVE_ADDON_PATH): NativeLoad {
  if (path === NATIVE_ADDON_PATH && cached) return cached;
  let result: NativeLoad;
  if (!existsSync(path)) {
    result = { ok: false, reason: `addon not built (${path}); run node packages/core/native/build.mjs` };
  } else {
    try {
      // libgomp reads its settings once, when the addon brings it in
      Object.assign(process.env, openmpDefaults(process.env));
      // what require gives has no type: the version says which NativeKernels it is
      const addon: { version?: unknown } = createRequire(import.meta.url)(path);
      if (addon.version === NATIVE_ADDON_VERSION) result = { ok: true, kernels: addon as NativeKernels };
      else
        result = {
          ok: false,
          reason: `addon built from other sources (version ${String(addon.version ?? 'none')}, these need ${NATIVE_ADDON_VERSION}); run node packages/core/native/build.mjs`,
        };
    } catch (err) {
      result = { ok: false, reason: `addon failed to load: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  if (path === NATIVE_ADDON_PATH) cached = result;
  return result;
}

/**
 * OpenMP settings the addon's threads (oneDNN's products, the engine's kernels) run with unless the
 * user chose (OMP_WAIT_POLICY or GOMP_SPINCOUNT set). GNU OpenMP's idle threads spin 300,000 rounds
 * (milliseconds) before sleeping: on a machine shared with other jobs the spinning holds a core, the
 * scheduler preempts it, and the next product waits on a descheduled thread. Measured here with
 * another job running, a sequence of training-size BF16 products: 12 per second at the default,
 * 49-85 at 10,000 rounds, 122 at 1,000, 130 at 0; idle, 0 and the default are alike (~210).
 * 1,000 rounds (tens of microseconds) still bridge the back-to-back parallel regions of one call.
 */
export function openmpDefaults(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.OMP_WAIT_POLICY !== undefined || env.GOMP_SPINCOUNT !== undefined) return {};
  return { GOMP_SPINCOUNT: '1000' };
}

/**
 * Why the fused native decoder cannot run on `backend`, or null when it can: what generate's
 * `auto` decoder choice and the printed backend line both go by.
 */
export function nativeDecoderUnavailable(backend: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.RHO_NATIVE === '0') return 'disabled by RHO_NATIVE=0';
  if (env.RHO_NATIVE_DECODE === '0') return 'disabled by RHO_NATIVE_DECODE=0';
  if (backend !== 'cpu' && backend !== 'wasm') return `the ${backend} backend decodes with its own kernels`;
  const native = loadNativeKernels();
  return native.ok ? null : native.reason;
}
