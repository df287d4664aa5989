import { ALL_BENCHMARK_RULES, benchmarkRules } from '../datasets/registry.ts';
import { loadFewShot } from './few-shot.ts';
import type { PromptType } from './types.ts';

/** Datasets whose demos and query use "Problem:/Solution:" rather than "Question:/Answer:" (their spec's framing). */
export const PROBLEM_FRAMED: ReadonlySet<string> = new Set(ALL_BENCHMARK_RULES.filter((r) => r.framing === 'problem').map((r) => r.name));

/** The full prompt from the demos and the question (utils.py `construct_prompt`); pure. */
export function buildPrompt(question: string, dataName: string, promptType: PromptType, demos: string): string {
  switch (promptType) {
    case 'direct':
    case 'cot':
      return benchmarkRules(dataName)?.framing === 'problem' ? `${demos}Problem:\n${question}\nSolution:` : `${demos}Question: ${question}\nAnswer:`;
    case 'pal':
      return `${demos}Question: ${question}`;
    case 'tora':
      // the SFT chat form: the interpreter models were tuned on it, no demos
      return `<|user|>\n${question}\n<|assistant|>\n`;
  }
}

/** The prompt for one example, reading demos from `<dataDir>/prompts/`. */
export function constructPrompt(example: { question: string; dataName: string }, promptType: PromptType, dataDir: string): string {
  return buildPrompt(example.question, example.dataName, promptType, loadFewShot(dataDir, example.dataName, promptType));
}
