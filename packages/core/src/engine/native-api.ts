import { loadNativeKernels } from '../backend/native.ts';
import type { EngineApi } from '../backend/native-kernels.ts';

export type { EngineApi, EngineHandle, EngineWeight } from '../backend/native-kernels.ts';

/** Dtype codes of engineModel's mapped weights. */
export const ENGINE_DTYPE = { F32: 0, BF16: 1, F16: 2 } as const;

/** The engine functions, or why they cannot be had. */
export function loadEngineApi(): { ok: true; api: EngineApi } | { ok: false; reason: string } {
  const native = loadNativeKernels();
  return native.ok ? { ok: true, api: native.kernels } : { ok: false, reason: native.reason };
}
