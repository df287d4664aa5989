export { extractAnswer, findAnswerSpan, MULTI_CHOICE_DATASETS } from './answer.ts';
export { lastBoxedContent } from './boxed.ts';
export { extractMultiChoice, NO_CHOICE } from './multi-choice.ts';
export { extractProgram, extractProgramOutput } from './program.ts';
export { runExecute, type ExecResult, type Prediction, type ProgramExecutor } from './run-execute.ts';
