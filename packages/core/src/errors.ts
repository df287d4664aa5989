/**
 * The one error type of the project. Thrown at I/O and configuration boundaries, carried up
 * untouched, and reported once by a CLI (see `reportAndExit`).
 */
export type ErrorCode =
  | 'BAD_INPUT' // malformed file content: a jsonl line, a tensor, a config field
  | 'NOT_FOUND' // a file, directory or named thing that does not exist
  | 'BAD_CONFIG' // an option or config value outside its domain
  | 'UNSUPPORTED' // a valid request this build cannot serve (dtype, backend, ...)
  | 'RUNTIME'; // a failure of a part we depend on (a server, a subprocess)

export interface ErrorContext {
  file?: string;
  line?: number;
  field?: string;
  expected?: unknown;
  got?: unknown;
  hint?: string;
  [key: string]: unknown;
}

export class RhoError extends Error {
  override readonly name = 'RhoError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** One human line: location, message, then the hint if any. */
  describe(): string {
    const { file, line, field, hint } = this.context;
    const where = file ? `${file}${line !== undefined ? `:${line}` : ''}${field ? ` (${field})` : ''}: ` : field ? `${field}: ` : '';
    return `${where}${this.message}${hint ? `\n  hint: ${hint}` : ''}`;
  }
}

export function isRhoError(e: unknown): e is RhoError {
  return e instanceof RhoError;
}
