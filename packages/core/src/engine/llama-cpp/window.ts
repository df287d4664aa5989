import { RhoError } from '../../errors.ts';
import type { LlamaConfig } from '../../config/llama-config.ts';

/**
 * llama.cpp runs Mistral checkpoints as the llama architecture, without their sliding window
 * (checked: tiny-mistral's logits from position window+1 on are those of full attention). Up to
 * that position the two agree exactly; past it llama.cpp would be a different model, so a sequence
 * that reaches it is refused, naming the position, instead of being run silently.
 */
export function lastPositionWithinWindow(config: LlamaConfig): number {
  return config.slidingWindow === null ? Infinity : config.slidingWindow;
}

export function checkWithinWindow(config: LlamaConfig, length: number, what: string): void {
  const last = lastPositionWithinWindow(config);
  if (length - 1 <= last) return;
  throw new RhoError(
    'UNSUPPORTED',
    `${what} reaches position ${length - 1}, past the sliding window of ${config.slidingWindow} tokens (position ${last + 1} would attend beyond it), and llama.cpp does not apply the window to this model`,
    {
      field: 'sliding_window',
      expected: `<= ${last + 1} tokens`,
      got: length,
      hint: 'run it on --engine native or --engine tfjs, which apply the window, or keep sequences within the window',
    },
  );
}
