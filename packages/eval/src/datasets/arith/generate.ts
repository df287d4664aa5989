/**
 * The built-in `arith` benchmark: seeded grade-school word problems in GSM8K's format that a
 * small model can learn in minutes. The test set, the training problems and the few-shot demos are
 * drawn from separate streams of one seed, and training problems never repeat a test or demo
 * question, so an evaluation on the test set is on held-out problems.
 */
import { join } from 'node:path';
import { makeRng, writeFileAtomic, writeJsonlAtomic } from '@rho/core/base';
import { cotText, gsm8kAnswer, palText, toraText, type ArithProblem } from './problem.ts';
import { TEMPLATES, type Draw } from './templates.ts';

export type ArithStream = 'test' | 'train' | 'fewshot';

/** The default benchmark: what `--data arith` evaluates when no files are in the data directory. */
export const ARITH_DEFAULTS = Object.freeze({ seed: 1, test: 500, train: 5000 });

const STREAM_SALT: Readonly<Record<ArithStream, number>> = { test: 0x7e57, train: 0x7a1a, fewshot: 0xde30 };

function drawFrom(rnd: () => number): Draw {
  return {
    int: (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(rnd() * xs.length)]!,
  };
}

export interface GenerateOptions {
  seed: number;
  count: number;
  stream: ArithStream;
  /** Questions that must not be drawn (another stream's). */
  exclude?: ReadonlySet<string>;
  /** Only these templates (default: all, uniformly). */
  templates?: readonly string[];
}

/** `count` distinct problems; same options → same problems. */
export function generateProblems(o: GenerateOptions): ArithProblem[] {
  const rnd = makeRng((Math.imul(o.seed, 0x9e3779b1) ^ STREAM_SALT[o.stream]) >>> 0);
  const d = drawFrom(rnd);
  const pool = o.templates ? TEMPLATES.filter((t) => o.templates!.includes(t.id)) : TEMPLATES;
  if (pool.length === 0) throw new Error(`no arith template among ${o.templates?.join(', ')}`);
  const seen = new Set<string>();
  const out: ArithProblem[] = [];
  // Every template has far more distinct problems than any count asked of it; the bound only
  // turns a mistake (a tiny template set asked for too many) into an error instead of a hang.
  for (let tries = 0; out.length < o.count; tries++) {
    if (tries > o.count * 50 + 1000) throw new Error(`could not draw ${o.count} distinct arith problems`);
    const p = d.pick(pool).make(d);
    if (seen.has(p.question) || o.exclude?.has(p.question)) continue;
    seen.add(p.question);
    out.push(p);
  }
  return out;
}

/** The demos of the few-shot files: one problem of each listed template from the demo stream. */
const DEMO_TEMPLATES: Readonly<Record<'cot' | 'pal' | 'tora', readonly string[]>> = {
  cot: ['buy-more', 'change', 'share', 'two-prices'],
  pal: ['boxes-plus', 'pick-sell'],
  tora: ['find-lose', 'spend'],
};

export function demoProblems(seed: number, kind: 'cot' | 'pal' | 'tora'): ArithProblem[] {
  const salt = { cot: 1000, pal: 2000, tora: 3000 }[kind];
  // one seed per demo: demos drawn from a single template each must not share their first draws
  return DEMO_TEMPLATES[kind].map((id, i) => generateProblems({ seed: seed + salt + i, count: 1, stream: 'fewshot', templates: [id] })[0]!);
}

/** Text of prompts/<type>/arith.md, in the layout of the harness's few-shot files. */
export function fewShotText(seed: number, kind: 'cot' | 'pal' | 'tora'): string {
  const demos = demoProblems(seed, kind);
  if (kind === 'cot') return `${demos.map(cotText).join('\n\n\n')}\n`;
  if (kind === 'pal') return `Let's use python to solve math problems.\n\n${demos.map(palText).join('\n\n---\n\n')}\n\n---\n`;
  return `${demos.map(toraText).join('\n\n---\n\n')}\n\n---\n`;
}

/** Questions no training problem may repeat: the test set and every demo. */
export function heldOutQuestions(seed: number, testCount: number): Set<string> {
  const out = new Set(generateProblems({ seed, count: testCount, stream: 'test' }).map((p) => p.question));
  for (const kind of ['cot', 'pal', 'tora'] as const) for (const p of demoProblems(seed, kind)) out.add(p.question);
  return out;
}

/** One jsonl record in GSM8K's shape (question, answer "steps\n#### N"), plus what generated it. */
export function toRecord(p: ArithProblem, idx: number): Record<string, unknown> {
  return { idx, question: p.question, answer: gsm8kAnswer(p), template: p.template };
}

export interface ArithSet {
  seed: number;
  test: number;
  train: number;
}

/** The records of a split; `train` excludes every held-out question. */
export function arithRecords(split: string, o: ArithSet = ARITH_DEFAULTS): Record<string, unknown>[] {
  if (split === 'test') return generateProblems({ seed: o.seed, count: o.test, stream: 'test' }).map(toRecord);
  if (split === 'train') {
    return generateProblems({ seed: o.seed, count: o.train, stream: 'train', exclude: heldOutQuestions(o.seed, o.test) }).map(toRecord);
  }
  throw new Error(`arith has no split "${split}" (test, train)`);
}

/**
 * The benchmark in the data-directory layout: data/arith/{test,train}.jsonl and
 * prompts/{cot,pal,tora}/arith.md under `dataDir`. Returns the files written.
 */
export function writeArith(dataDir: string, o: ArithSet = ARITH_DEFAULTS): string[] {
  const files: string[] = [];
  for (const split of ['test', 'train'] as const) {
    const file = join(dataDir, 'data', 'arith', `${split}.jsonl`);
    writeJsonlAtomic(file, arithRecords(split, o));
    files.push(file);
  }
  for (const kind of ['cot', 'pal', 'tora'] as const) {
    const file = join(dataDir, 'prompts', kind, 'arith.md');
    writeFileAtomic(file, fewShotText(o.seed, kind));
    files.push(file);
  }
  return files;
}
