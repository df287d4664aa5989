export { strictVerify, DEFAULT_STRICT, type StrictOptions, type StrictVerdict } from './verify.ts';
export { strictGrade, boxedAnswer, type StrictGold, type StrictGrade, type StrictTarget } from './grade-answer.ts';
export { extractAnswer, type Extraction, type Extracted } from './extract.ts';
export { normalizeLatex } from './normalize.ts';
export type { MatchType } from './extract-patterns.ts';
