import { eosIds, type LlamaConfig } from '../config/llama-config.ts';
import { findStop } from './sampling.ts';

export type StopReason = 'eos' | 'stop' | 'length';

/** What ends a sequence: end-of-sequence ids, stop strings on the decoded text, a token limit. */
export interface EndRules {
  maxNewTokens: number;
  eos: ReadonlySet<number>;
  stop?: { strings: readonly string[]; decode: (ids: number[]) => string };
  /** Tokens of decoded tail that can hold a stop string the newest token completed. */
  window: number;
}

export function endRules(
  cfg: LlamaConfig,
  opts: { maxNewTokens: number; eosId?: number | readonly number[] | null; stop?: { strings: readonly string[]; decode: (ids: number[]) => string } },
): EndRules {
  const eos = new Set(opts.eosId === undefined ? eosIds(cfg) : opts.eosId === null ? [] : typeof opts.eosId === 'number' ? [opts.eosId] : opts.eosId);
  const strings = (opts.stop?.strings ?? []).filter((x) => x.length > 0);
  // A stop string completed by the newest token lies in the last few tokens: decoding only those
  // keeps the check O(1) per step. A token is at least one byte of text, a character at most 4
  // (byte fallback), and the margin keeps decoder quirks at the window's start away from the match.
  const window = 4 * Math.max(0, ...strings.map((x) => x.length)) + 16;
  return { maxNewTokens: opts.maxNewTokens, eos, stop: strings.length && opts.stop ? { strings, decode: opts.stop.decode } : undefined, window };
}

/**
 * After a sequence's newest token (already pushed onto `tokens`): how it ended, with the text cut
 * before the first stop string when a stop string ended it, or null while it goes on.
 */
export function sequenceEnd(rules: EndRules, tokens: number[]): { reason: StopReason; text?: string } | null {
  const tok = tokens[tokens.length - 1]!;
  if (rules.eos.has(tok)) return { reason: 'eos' };
  if (rules.stop && findStop(rules.stop.decode(tokens.slice(-rules.window)), rules.stop.strings) >= 0) {
    // found in the decoded tail: cut the full text at the first stop string
    const text = rules.stop.decode(tokens);
    const at = findStop(text, rules.stop.strings);
    if (at >= 0) return { reason: 'stop', text: text.slice(0, at) };
  }
  return tokens.length >= rules.maxNewTokens ? { reason: 'length' } : null;
}
