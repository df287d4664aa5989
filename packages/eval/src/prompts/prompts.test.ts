import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, RhoError } from '@rho/core/base';
import { loadExamples } from '../datasets/load.ts';
import { buildPrompt, constructPrompt } from './construct.ts';
import { fewShotFile, loadFewShot } from './few-shot.ts';
import { MAX_FUNC_CALLS, STOP_WORDS } from './stop-words.ts';
import { PROMPT_TYPES, type PromptType } from './types.ts';

const DATA_DIR = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');

// sha256 (first 16 hex digits) and length in code points of the prompt for each dataset's first
// example, as the Python harness's construct_prompt/load_prompt build it (re-typed logic run with
// python3 on the same data directory).
const GOLDEN: [string, PromptType, string, number][] = [
  ['gsm8k', 'direct', 'b7d0342d147aa332', 298],
  ['gsm8k', 'cot', '565628315ecbfc45', 2543],
  ['gsm8k', 'pal', '59a9f489d32ba8c7', 1984],
  ['gsm8k', 'tora', 'c0263ef4c60feb75', 304],
  ['math', 'direct', 'd1b9f1d59932ea60', 93],
  ['math', 'cot', '18df6f47a3e6100c', 3424],
  ['math', 'pal', 'ac320802afb9a353', 2687],
  ['math', 'tora', '97224f63117311bc', 98],
  ['minerva_math', 'direct', '4d567c364771a010', 180],
  ['minerva_math', 'cot', 'abd97ff8861ecc8f', 2020],
  ['minerva_math', 'pal', '093511ed8c343763', 171],
  ['minerva_math', 'tora', '8be20ca97fc6bac5', 185],
  ['svamp', 'direct', '1cb52b23e3dc1d7a', 197],
  ['svamp', 'cot', 'f62ab33ea16e8422', 2442],
  ['svamp', 'pal', 'b6c7bd27b44aa0b3', 1883],
  ['svamp', 'tora', 'caf7ec80f27e0000', 203],
  ['asdiv', 'direct', 'f248c77868430da1', 109],
  ['asdiv', 'cot', 'abb4f1a3d0eef8a6', 2354],
  ['asdiv', 'pal', 'd4add53c228b60e0', 1795],
  ['asdiv', 'tora', '79d7c9b22ec04b1b', 115],
  ['mawps', 'direct', '620669a6ae6daef5', 158],
  ['mawps', 'cot', 'c6c91fe8e66656f5', 2403],
  ['mawps', 'pal', '3d6a9dfd71631f6f', 1844],
  ['mawps', 'tora', '7371598ee5468009', 164],
  ['tabmwp', 'direct', '4f0a2da68ba468f2', 300],
  ['tabmwp', 'cot', '0a7e3e582dd08c24', 2545],
  ['tabmwp', 'pal', 'f04bd8c44750f2fa', 1986],
  ['tabmwp', 'tora', '327298c530d128f7', 306],
  ['sat_math', 'direct', '3ac1feabaee3e52d', 277],
  ['sat_math', 'cot', 'e9ff3595f0897d55', 2450],
  ['sat_math', 'pal', '898db1acad2daca5', 268],
  ['sat_math', 'tora', '04c72fac509c6805', 282],
  ['gsm_hard', 'direct', '4c013b5ff9d4ed35', 301],
  ['gsm_hard', 'cot', '3d5405dfa5c8dd1f', 2546],
  ['gsm_hard', 'pal', '2d53685c3afbcd6a', 1987],
  ['gsm_hard', 'tora', 'ea2a4d95664be3ae', 307],
  ['mmlu_stem', 'direct', '081a871cf4ad0e3b', 539],
  ['mmlu_stem', 'cot', 'e3d5935f389639b5', 2712],
  ['mmlu_stem', 'pal', '76c17becece91bc5', 530],
  ['mmlu_stem', 'tora', 'ad62c7fa4db1a5f4', 544],
  ['mathqa', 'direct', 'd56d17f48584ab44', 181],
  ['mathqa', 'cot', '21e17d3e97b31337', 4337],
  ['mathqa', 'pal', '2532d3c0b054f17a', 172],
  ['mathqa', 'tora', 'a0efcee7f7c58010', 186],
];

const firstExample = new Map<string, ReturnType<typeof loadExamples>[number]>();
const first = (name: string) => {
  if (!firstExample.has(name)) firstExample.set(name, loadExamples(name, DATA_DIR)[0]!);
  return firstExample.get(name)!;
};

describe('constructPrompt matches the Python harness on real data', () => {
  it.each(GOLDEN)('%s %s', (name, type, sha, length) => {
    const example = first(name);
    const prompt = constructPrompt(example, type, DATA_DIR);
    expect(createHash('sha256').update(prompt).digest('hex').slice(0, 16)).toBe(sha);
    expect([...prompt].length).toBe(length);
  });
});

describe('buildPrompt framing', () => {
  it('frames MATH-like datasets as Problem/Solution and word problems as Question/Answer', () => {
    expect(buildPrompt('Q?', 'math', 'cot', 'D\n\n\n')).toBe('D\n\n\nProblem:\nQ?\nSolution:');
    expect(buildPrompt('Q?', 'sat_math', 'direct', '')).toBe('Problem:\nQ?\nSolution:');
    expect(buildPrompt('Q?', 'svamp', 'cot', 'D\n\n\n')).toBe('D\n\n\nQuestion: Q?\nAnswer:');
    expect(buildPrompt('Q?', 'gsm8k', 'pal', 'D\n\n\n')).toBe('D\n\n\nQuestion: Q?');
    expect(buildPrompt('Q?', 'math', 'tora', 'ignored')).toBe('<|user|>\nQ?\n<|assistant|>\n');
  });
});

describe('few-shot files', () => {
  it('borrows demos across datasets as load_prompt does', () => {
    expect(fewShotFile('svamp', 'cot')).toBe('prompts/cot/gsm8k.md');
    expect(fewShotFile('tabmwp', 'pal')).toBe('prompts/pal/gsm8k.md');
    expect(fewShotFile('math_oai', 'cot')).toBe('prompts/cot/math.md');
    expect(fewShotFile('minerva_math', 'cot')).toBe('prompts/cot/minerva_math.md');
    expect(fewShotFile('sat_math', 'cot')).toBe('prompts/cot/mmlu_stem.md');
    expect(fewShotFile('mathqa', 'cot')).toBe('prompts/cot/mathqa.md');
  });

  it('is zero-shot where the harness ships no file, and for direct and tora', () => {
    expect(fewShotFile('minerva_math', 'pal')).toBeNull();
    expect(fewShotFile('mmlu_stem', 'pal')).toBeNull();
    expect(fewShotFile('gsm8k', 'direct')).toBeNull();
    expect(fewShotFile('gsm8k', 'tora')).toBeNull();
    expect(loadFewShot('/nonexistent', 'mathqa', 'pal')).toBe('');
  });

  it('reports a shipped file missing from the data directory', () => {
    try {
      loadFewShot('/nonexistent', 'gsm8k', 'cot');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RhoError);
      expect((e as RhoError).context.hint).toContain('pnpm data fetch');
    }
  });
});

describe('stop words and rounds', () => {
  it('has an entry for every prompt type', () => {
    for (const t of PROMPT_TYPES) {
      expect(STOP_WORDS[t]).toContain('</s>');
      expect(MAX_FUNC_CALLS[t]).toBeGreaterThan(0);
    }
  });

  it('stops cot at the next demo and program modes at the output block', () => {
    expect(STOP_WORDS.cot).toEqual(['</s>', '\n\nQuestion:', '\n\nProblem:']);
    expect(STOP_WORDS.tora).toEqual(['</s>', '\n\n---', '```output']);
    expect(STOP_WORDS.pal).toEqual(STOP_WORDS.tora);
    expect([MAX_FUNC_CALLS.cot, MAX_FUNC_CALLS.pal, MAX_FUNC_CALLS.tora]).toEqual([1, 1, 4]);
  });
});
