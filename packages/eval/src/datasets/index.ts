export * from './types.ts';
export * from './registry.ts';
export * from './question.ts';
export * from './load.ts';
export { pyRepr, pyReprStr, parsePyStringList } from './pytext.ts';
export {
  ARITH_DEFAULTS,
  arithDocuments,
  arithRecords,
  fewShotText as arithFewShot,
  generateProblems as generateArithProblems,
  heldOutQuestions as arithHeldOut,
  TEMPLATES as ARITH_TEMPLATES,
  writeArith,
  type ArithProblem,
  type ArithSet,
} from './arith/index.ts';
