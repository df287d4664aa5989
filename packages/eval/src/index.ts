export * from './datasets/index.ts';
export * from './prompts/index.ts';
// Answers: extraction, normalisation, grading, ground truth, re-scoring.
export {
  extractAnswer,
  runExecute,
  extractProgram,
  extractProgramOutput,
  extractMultiChoice,
  lastBoxedContent,
  type PalExecutor,
  type PalResult,
  type Prediction,
} from './extract/index.ts';
export { normalize, stripString } from './normalize/index.ts';
export { mathEqual, isEquivalent, type EqualOptions, type Verdict, type EqualReason } from './grader/index.ts';
export { parseGroundTruth, groundTruthForScoring, GROUND_TRUTH_DATASETS, type GroundTruth } from './groundtruth/index.ts';
export {
  rescoreSamples,
  rescoreSamplesAsync,
  type ProgramRunner,
  computeMetrics,
  datasetIndex,
  dataFolderFor,
  type OutputRecord,
  type RescoredRecord,
  type RescoreInput,
  type RescoreResult,
  type Metrics,
} from './rescore/index.ts';
export * from './datafetch/index.ts';
// Tool-integrated runs: the sandboxed interpreter, the model interface, the tora/pal loop.
export type { CompletionModel, CompletionOptions, Completion } from './backends/types.ts';
export { ScriptedModel } from './backends/scripted.ts';
export type { ExecResult, ExecOptions, IsolationLevel, Program, ProgramExecutor, ProgramLanguage, ProgramMode } from './interpreter/types.ts';
export { Interpreter } from './interpreter/interpreter.ts';
export { PythonSandbox, PYTHON_SANDBOX_DEFAULTS, type PythonSandboxOptions } from './interpreter/python-sandbox.ts';
export { findPython, type PythonInfo } from './interpreter/python-env.ts';
export { runJavascript } from './interpreter/javascript.ts';
export { extractLastProgram } from './interpreter/program.ts';
export { runToolLoop, TOOL_STOP_WORDS, MAX_FUNC_CALL_MESSAGE, type ToolLoopOptions, type ToolLoopSample } from './runners/tool-loop.ts';
export { recordedRounds, type RecordedRound } from './runners/rounds.ts';
// What the top-level scripts (demo, gate, benchmarks) drive: the run, the models, scoring.
export { runEval, outputPathFor, type RunConfig, type RunResult, type OutputSample } from './run/run-eval.ts';
export { openModel, type OpenModelOptions } from './backends/open.ts';
export { DEFAULT_MAX_BATCH, LocalCheckpointModel } from './backends/local.ts';
export { HttpCompletionModel, API_KINDS, type ApiKind } from './backends/http.ts';
export { defaultKvBudget } from './backends/kv-budget.ts';
export { CompletionServer, DEFAULT_STREAM_INTERVAL_MS, type ServeOptions } from './serve/server.ts';
export { runIdentity, type RunIdentity } from './run/run-identity.ts';
export { formatBytes, peakRssBytes } from './run/memory.ts';
export { runBare, runBareBatch } from './interpreter/bare.ts';
export { scoreFile, type ScoredFile, type ScoreFileOptions } from './score/score-file.ts';
export { collectOutputFiles, type OutputFile } from './score/collect.ts';
