import type { z } from 'zod';
import type { PromptType } from '../prompts/types.ts';

/** One raw line of a benchmark's test.jsonl, as read. */
export type RawRecord = Readonly<Record<string, unknown>>;

/**
 * How a completion's answer is read (the harness's `extract_answer`). `number` and `expression`
 * take the same path (minerva marker, last \boxed, "The answer is", last number); the kind says
 * what the benchmark's answers are. `choice` reads a multiple-choice letter instead.
 */
export type AnswerKind = 'number' | 'expression' | 'choice';

/** `question`: "Question: ...\nAnswer:" prompts; `problem`: "Problem:\n...\nSolution:". */
export type Framing = 'question' | 'problem';

/**
 * The ground truth as math_eval.py first reads it off a record, before the clean-up every
 * benchmark shares (gt_cot printed as Python would and stripped, gt through strip_string).
 */
export interface RawGroundTruth {
  /** The reference solution; null (printed "None") where the benchmark has none. */
  gtCot: unknown;
  gt: string;
}

/**
 * What scoring and prompting know of a benchmark by its harness `data_name`. Every loadable
 * dataset has these as part of its DatasetSpec; a few names the harness's parsers accept
 * without a data file here (harness-names.ts) have only these.
 */
export interface BenchmarkRules {
  readonly name: string;
  /** parse_ground_truth's rule for this benchmark; errors name the missing field. */
  groundTruth(record: RawRecord): RawGroundTruth;
  /**
   * evaluate.py re-parses the samples math_eval wrote (they carry gt_cot and gt). For these
   * benchmarks the harness then re-extracts the answer from gt_cot instead of normalising gt
   * again. Absent: gt is normalised again.
   */
  readonly rereadsSolution?: boolean;
  readonly answer: AnswerKind;
  /** Whose few-shot files the prompts use (prompts/<type>/<family>.md): load_prompt's borrowing. */
  readonly family: string;
  readonly framing: Framing;
  /**
   * Prompt types for which the family has a few-shot file. Elsewhere the harness prompts
   * zero-shot (it prints an error and goes on), and so does this one.
   */
  readonly fewShot: readonly PromptType[];
}

/** A benchmark the project generates rather than downloads. */
export interface BuiltinDataset {
  /** The records of a split, deterministic; validated and indexed as a file's would be. */
  records(split: string): RawRecord[];
  /** The few-shot file's text (what prompts/<type>/<family>.md would hold), or null. */
  fewShot(promptType: PromptType): string | null;
}

/**
 * A benchmark as the Python harness treats it: everything loading, prompting and scoring need
 * of it. `name` is the harness's `data_name` (what output paths and prompt selection use); `dir`
 * is the folder under `<dataDir>/data/` holding it.
 */
export interface DatasetSpec extends BenchmarkRules {
  readonly dir: string;
  /** Fields a record must have, checked when loading so a bad file fails with its line number. */
  readonly schema: z.ZodType;
  /** The question text before the harness's yes/no suffix (parser.py `parse_question`). */
  question(record: RawRecord): string;
  /**
   * The answer as the record states it, before any normalisation. Used only to decide the
   * "(Yes or No)" / "(True or False)" suffix; scoring uses `groundTruth`.
   */
  rawAnswer(record: RawRecord): string;
  /**
   * The record as the harness leaves it after building the question: parse_question mutates
   * some records in place (mmlu_stem's choices get their letters), and math_eval copies fields
   * of the mutated record into its output. Absent: the record is left as is.
   */
  mutated?(record: RawRecord): RawRecord;
  /** In the set `pnpm eval` runs when no --data is given. */
  readonly default?: boolean;
  /** A benchmark the project generates: used when <dataDir>/data/<dir>/<split>.jsonl does not exist. */
  readonly builtin?: BuiltinDataset;
}

/** One test problem, ready for prompting and for joining outputs on `idx`. */
export interface Example {
  readonly idx: number;
  /** The harness's data_name (`minerva_math`, not its folder `math_oai`). */
  readonly dataName: string;
  /** The question exactly as the harness builds it (and writes into its output files). */
  readonly question: string;
  /** The raw record with `idx` (added in file order when the file has none). */
  readonly record: RawRecord;
  /** Fields math_eval copies from the record into each output sample (level, type, choices, ...). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The sentence the harness puts between a multiple-choice question and its lettered options. */
export const CHOICE_PROMPT = 'What of the following is the right choice? Explain your answer.';
