import * as tf from '@tensorflow/tfjs-core';
import * as core from '@rho/core';

/**
 * The backend every slm command computes on: core's selection (RHO_BACKEND, native, wasm, cpu)
 * when this build of core has it, else the plain cpu backend.
 */
export async function ensureBackend(): Promise<string> {
  const init = (core as Record<string, unknown>).initBackend;
  if (typeof init === 'function') return (init as () => Promise<string>)();
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  process.stderr.write('backend: cpu\n');
  return 'cpu';
}
