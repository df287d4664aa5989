import { extractLastProgram } from '../interpreter/program.ts';
import type { Program } from '../interpreter/types.ts';

/** One executed round of a recorded tool-integrated completion. */
export interface RecordedRound {
  /** The program the harness ran: the last one written before this output block. */
  program: Program;
  /** The body of the ```output block the harness appended. */
  output: string;
}

const OUTPUT_BLOCK = /```output\n([\s\S]*?)\n```/g;

/** The rounds of a completion written by the tora loop, for re-execution and parity checks. */
export function recordedRounds(completion: string): RecordedRound[] {
  const rounds: RecordedRound[] = [];
  for (const m of completion.matchAll(OUTPUT_BLOCK)) {
    rounds.push({ program: extractLastProgram(completion.slice(0, m.index)), output: m[1]! });
  }
  return rounds;
}
