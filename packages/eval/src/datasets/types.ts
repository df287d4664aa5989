import type { z } from 'zod';

/** One raw line of a benchmark's test.jsonl, as read. */
export type RawRecord = Readonly<Record<string, unknown>>;

/**
 * A benchmark as the Python harness treats it. `name` is the harness's `data_name` (what output
 * paths and prompt selection use); `dir` is the folder under `<dataDir>/data/` holding it.
 */
export interface DatasetSpec {
  readonly name: string;
  readonly dir: string;
  /** Fields a record must have, checked when loading so a bad file fails with its line number. */
  readonly schema: z.ZodType;
  /** The question text before the harness's yes/no suffix (parser.py `parse_question`). */
  question(record: RawRecord): string;
  /**
   * The answer as the record states it, before any normalisation. Used only to decide the
   * "(Yes or No)" / "(True or False)" suffix; ground-truth parsing lives in groundtruth/.
   */
  rawAnswer(record: RawRecord): string;
  /**
   * The record as the harness leaves it after building the question: parse_question mutates
   * some records in place (mmlu_stem's choices get their letters), and math_eval copies fields
   * of the mutated record into its output. Absent: the record is left as is.
   */
  mutated?(record: RawRecord): RawRecord;
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
