/**
 * The harness's `run_execute`: the prediction for one completion under a prompt type. cot and
 * tora read the answer from the text; pal runs the program (through the caller's executor);
 * "program_only" types read the last ```output block.
 */
// core's index pulls in tensor code; the error class alone keeps scoring light (same module, same class).
import { RhoError } from '@rho/core/base';
import { stripString } from '../normalize/strip-string.ts';
import { extractAnswer } from './answer.ts';
import { extractProgram, extractProgramOutput } from './program.ts';

export interface PalResult {
  prediction: string;
  report: string | null;
}

/** Runs a program and returns what the harness's PythonExecutor.apply returns. */
export type PalExecutor = (program: string) => PalResult;

export interface Prediction {
  /** null where the completion was empty or "error" (the harness's None). */
  pred: string | null;
  report: string | null;
}

export function runExecute(completion: string | null | undefined, promptType: string, dataName: string, executor?: PalExecutor): Prediction {
  if (!completion || completion === 'error') return { pred: null, report: null };
  let prediction: string;
  let report: string | null = null;
  if (promptType.includes('program_only')) {
    prediction = extractProgramOutput(completion);
  } else if (promptType === 'pot' || promptType === 'pal') {
    if (!executor) {
      throw new RhoError('UNSUPPORTED', `prompt type ${promptType} needs a program executor to derive predictions`, {
        field: 'promptType',
        hint: 'pass an executor (the Python sandbox) or score cot/tora outputs',
      });
    }
    const r = executor(extractProgram(completion));
    prediction = r.prediction;
    report = r.report;
  } else {
    prediction = extractAnswer(completion, dataName);
  }
  return { pred: stripString(prediction), report };
}
