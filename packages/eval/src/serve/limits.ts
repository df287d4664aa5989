/** What one server holds at most, and for how long. */
export interface ServeLimits {
  /** Request bodies larger than this are refused (413) before they are kept whole. */
  maxBodyBytes: number;
  /** Sequences decoded together (the model's batch). */
  batchSize: number;
  /** Sequences that may wait for a row beyond the batch; a request that would pass it is a 429. */
  maxQueue: number;
  /** From a request's headers to its last byte of answer: past it, 408 (body still arriving) or 504. */
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  maxBodyBytes: 4 * 2 ** 20,
  batchSize: 64,
  maxQueue: 256,
  requestTimeoutMs: 600_000,
};

/**
 * Limits of node's HTTP server that are not flags: together with the body limit they bound what a
 * hostile client can make the server keep (connections, header bytes, and time to send them).
 */
export const CONNECTION_LIMITS = {
  /** Sockets at once; more are closed as they come. */
  maxConnections: 1024,
  /** Bytes of a request's headers (node's default). */
  maxHeaderBytes: 16 * 1024,
  /** A client must send its headers within this (slow-loris). */
  headersTimeoutMs: 20_000,
  /** ... and its body within this after them, or within the request timeout if that is shorter. */
  receiveTimeoutMs: 60_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: 5_000,
  /** A body left unread after its answer is read and dropped this long at most, then the connection closes. */
  lingerMs: 2_000,
  /** How often node checks the header deadline. */
  checkIntervalMs: 1_000,
} as const;
