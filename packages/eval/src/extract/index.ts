export { extractAnswer, extractAnswerAs, findAnswerSpan, MULTI_CHOICE_DATASETS } from './answer.ts';
export { extractFreeAnswer } from './free-answer.ts';
export { lastBoxedContent } from './boxed.ts';
export { extractMultiChoice, NO_CHOICE } from './multi-choice.ts';
export { extractProgram, extractProgramOutput } from './program.ts';
export { runExecute, type PalResult, type Prediction, type PalExecutor } from './run-execute.ts';
