import type { Doc } from '../shards/input.ts';
import { seededRandom } from '../shards/random.ts';

/**
 * Token-level noise for the experiment: spans that a good reference model finds improbable and a
 * model trained on them learns nothing useful from, injected at word boundaries of clean
 * documents: boilerplate, random characters and off-topic text. Every span's [start, end) is
 * recorded, so the report can tell how much of the noise the selection dropped.
 */
export type NoiseKind = 'boilerplate' | 'random' | 'offtopic';

export interface NoiseOptions {
  /** Target share of the noisy corpus's characters that are noise. */
  rate: number;
  seed: number;
  kinds: readonly NoiseKind[];
}

export const DEFAULT_NOISE: NoiseOptions = Object.freeze({ rate: 0.3, seed: 1234, kinds: Object.freeze(['boilerplate', 'random', 'offtopic'] as NoiseKind[]) });

const BOILERPLATE = [
  'Click here to subscribe to our newsletter!',
  'All rights reserved. Terms of use apply.',
  'Share this on Facebook Twitter Pinterest Email',
  'Advertisement - Continue reading below',
  'This site uses cookies. Accept | Decline',
  'Page 1 of 3 | Next >> | Last >>',
];

const OFFTOPIC = [
  'The quarterly shipping manifest lists seven crates of porcelain bound for Rotterdam.',
  'Moss grows thickest on the northern slope where the fog lingers until noon.',
  'The orchestra tuned their instruments while the conductor studied the score.',
  'Her grandmother kept bees behind the chapel and sold the honey in jars.',
  'A cold front will move across the plains bringing scattered thunderstorms.',
  'The museum reopened its east wing after restoring the medieval tapestries.',
];

const RANDOM_CHARS = 'qzxjkvbwpyfgQZXJKVBW#%&@~^|{}<>0123456789';

/**
 * One span. A sentence is used at most once per document (`used`): a span repeated within a context
 * can be predicted by copying its first occurrence, which would make the noise teach in-context
 * copying, a skill the clean documents need, instead of being useless text. Once a kind's sentences
 * are used up, the span is random characters.
 */
function noiseText(kind: NoiseKind, rnd: () => number, used: Set<string>): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const pool = kind === 'boilerplate' ? BOILERPLATE : kind === 'offtopic' ? OFFTOPIC : [];
  const fresh = pool.filter((x) => !used.has(x));
  if (fresh.length > 0) {
    const s = pick(fresh);
    used.add(s);
    return s;
  }
  const n = 12 + Math.floor(rnd() * 28);
  let s = '';
  for (let i = 0; i < n; i++) s += pick([...RANDOM_CHARS]);
  return s;
}

/**
 * One noisy document: noise spans inserted after spaces or newlines until noise makes up about
 * `rate` of its characters. Same (doc, seed) → same output.
 */
export function injectNoise(text: string, opts: NoiseOptions, docIndex: number): Doc {
  const rnd = seededRandom((opts.seed * 1_000_003 + docIndex) >>> 0);
  const cuts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === ' ' || text[i] === '\n') cuts.push(i + 1);
  const inserts: Array<{ at: number; s: string }> = [];
  const used = new Set<string>();
  let added = 0;
  // Noise chars n satisfy n / (len + n) ≈ rate.
  const target = (opts.rate / (1 - opts.rate)) * text.length;
  while (added < target && opts.kinds.length > 0) {
    const s = `${noiseText(opts.kinds[Math.floor(rnd() * opts.kinds.length)]!, rnd, used)} `;
    inserts.push({ at: cuts[Math.floor(rnd() * cuts.length)]!, s });
    added += s.length;
  }
  inserts.sort((a, b) => a.at - b.at);
  let out = '';
  let from = 0;
  const spans: Array<[number, number]> = [];
  for (const { at, s } of inserts) {
    out += text.slice(from, at);
    from = at;
    // The trailing space stays clean text: the noise is the span's words.
    spans.push([out.length, out.length + s.length - 1]);
    out += s;
  }
  out += text.slice(from);
  return { text: out, noise: spans };
}
