import * as tf from '@tensorflow/tfjs-core';
import { nativeDecoderUnavailable } from '../backend/native.ts';
import { RhoError } from '../errors.ts';

/**
 * Who runs generation for a tfjs LlamaModel. `native`: the addon's engine (native/src/rho_engine.c)
 * over a native copy of the model's weights, prompt pass and decoding; `tfjs`: model.forward, about
 * two hundred kernel calls per token, whose dispatch cost dominates batch-1 decoding on wasm/cpu.
 * `auto` (default) picks native on the cpu and wasm backends when the addon is built; on
 * tfjs-node(-gpu) tfjs's own kernels run on the device and stay in charge.
 */
export type DecoderChoice = 'auto' | 'native' | 'tfjs';

/** Resolves a choice to the decoder to use; `native` where it cannot run is an error. */
export function resolveDecoder(choice: DecoderChoice = 'auto', env: NodeJS.ProcessEnv = process.env): 'native' | 'tfjs' {
  if (choice === 'tfjs') return 'tfjs';
  const why = nativeDecoderUnavailable(tf.getBackend(), env);
  if (why === null) return 'native';
  if (choice === 'native')
    throw new RhoError('UNSUPPORTED', `the native decoder cannot run: ${why}`, { field: 'decoder', hint: 'use decoder "auto" or "tfjs"' });
  return 'tfjs';
}
