export { arith } from './spec.ts';
export {
  ARITH_DEFAULTS,
  arithRecords,
  demoProblems,
  fewShotText,
  generateProblems,
  heldOutQuestions,
  toRecord,
  writeArith,
  type ArithSet,
  type ArithStream,
  type GenerateOptions,
} from './generate.ts';
export { arithDocuments, type CorpusOptions } from './corpus.ts';
export { cotSolution, cotText, gsm8kAnswer, palText, program, toraPrompt, toraText, type ArithProblem } from './problem.ts';
export { TEMPLATES, type Template } from './templates.ts';
