/**
 * An error answered to an HTTP client in OpenAI's shape, `{"error": {"message", "type", "param",
 * "code"}}`, which the SDKs read into their exceptions.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = status >= 500 ? 'server_error' : status === 404 ? 'not_found_error' : 'invalid_request_error',
  ) {
    super(message);
  }

  get body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) => new ApiError(400, message, param, code);

/** A body over the server's limit: refused before it is kept whole. */
export const bodyTooLarge = (maxBytes: number) =>
  new ApiError(413, `the request body is larger than the server's limit of ${maxBytes} bytes (--max-body)`, null, 'request_too_large');

/** Not valid UTF-8, or not JSON: a 400 saying which. */
export const badBody = (why: string) => badRequest(`the request body is not ${why}`, null, 'invalid_body');
