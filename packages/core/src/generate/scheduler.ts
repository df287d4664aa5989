import { RhoError } from '../errors.ts';
import type { EngineSession, NativeLm } from '../engine/native-lm.ts';
import type { GenerateOptions } from './run-generation.ts';
import { argmax, makeRng, sampleToken } from './sampling.ts';
import { endRules, sequenceEnd, type EndRules, type StopReason } from './sequence-end.ts';

/** One sequence to decode: its prompt, and how to choose and stop its tokens (as in generate). */
export type SequenceRequest = Pick<GenerateOptions, 'maxNewTokens' | 'temperature' | 'topP' | 'stop' | 'eosId'> & {
  prompt: readonly number[];
  /** Seeds this sequence's own generator: its tokens do not depend on what it was batched with. */
  seed?: number;
  /**
   * Each new token as it is chosen, with the logits it was chosen from (a view valid only during
   * the call): what streaming and log-probabilities need.
   */
  onToken?: (token: number, logits: Float32Array) => void;
  /** Aborting drops the sequence, waiting or running, and frees its row and key/value memory at once. */
  signal?: AbortSignal;
};

export interface SequenceResult {
  tokens: number[];
  stopReason: StopReason;
  /** With `stop`: the decoded text, cut before the first stop string. */
  text?: string;
}

export interface SchedulerOptions {
  /** Sequences decoded together at most. */
  maxBatch: number;
  /** Bytes of keys/values the running sequences may hold (each reserves prompt + max new tokens). */
  kvBudgetBytes: number;
  /** Tokens per engine call at most: every decoding row's next token, then prompt tokens to fill. */
  stepTokens?: number;
}

/** Counters of a scheduler's work so far. */
export interface SchedulerStats {
  /** Prompt tokens run through the model. */
  promptTokensComputed: number;
  /** Prompt tokens whose keys/values were copied from the shared prefix instead. */
  promptTokensCached: number;
  /** Tokens of the shared prefixes computed (once each). */
  prefixTokens: number;
  generatedTokens: number;
  /** Engine calls, and the sum over them of the sequences they carried (mean occupancy = rows / steps). */
  steps: number;
  rowsInSteps: number;
  /** Most bytes of keys/values reserved at once. */
  peakKvBytes: number;
  /** Seconds spent in engine calls (the prefix's included). */
  busySeconds: number;
}

interface Slot {
  row: number;
  req: SequenceRequest;
  rules: EndRules;
  rng: () => number;
  /** Prompt tokens not yet fed. */
  pending: number;
  tokens: number[];
  reservedBytes: number;
  resolve: (r: SequenceResult) => void;
  reject: (e: unknown) => void;
}

interface Waiting {
  req: SequenceRequest;
  resolve: (r: SequenceResult) => void;
  reject: (e: unknown) => void;
}

const DEFAULT_STEP_TOKENS = 256;

function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function cancelled(): RhoError {
  return new RhoError('RUNTIME', 'the sequence was cancelled', { cancelled: true });
}

/** The longest token prefix all the rows share. */
export function sharedPrefix(rows: readonly (readonly number[])[]): number[] {
  if (rows.length === 0) return [];
  let n = rows[0]!.length;
  for (const r of rows) n = Math.min(n, commonPrefixLength(rows[0]!, r));
  return rows[0]!.slice(0, n);
}

/**
 * Continuous batching over the native engine: sequences join as soon as a row and key/value memory
 * are free and leave the moment they end (stop string, EOS, token limit), so the batch stays full;
 * prompt tokens of joining sequences ride in the same engine calls as the others' decoding steps.
 * A shared prefix (setPrefix) is computed once and copied into every sequence that starts with it.
 * The engine runs its batch-invariant kernels, so a sequence's tokens are the same whatever it is
 * batched with, in whatever order sequences arrive, with or without the prefix. Between engine
 * calls the event loop runs: new requests join, and a caller's other work (a sandboxed program)
 * goes on while the others decode.
 */
export class ContinuousBatcher {
  readonly stats: SchedulerStats = {
    promptTokensComputed: 0,
    promptTokensCached: 0,
    prefixTokens: 0,
    generatedTokens: 0,
    steps: 0,
    rowsInSteps: 0,
    peakKvBytes: 0,
    busySeconds: 0,
  };
  private readonly session: EngineSession;
  private prefixSession: EngineSession | null = null;
  private prefix: number[] = [];
  private readonly free: number[];
  private readonly slots = new Map<number, Slot>();
  private readonly queue: Waiting[] = [];
  private reservedBytes = 0;
  private running = false;
  private closed = false;
  private readonly bytesPerToken: number;
  private readonly stepTokens: number;
  /** Every step's logits, reused: a row's are read (sampled, streamed) before the next step. */
  private logitsBuffer: Float32Array | null = null;

  constructor(
    private readonly lm: NativeLm,
    private readonly opts: SchedulerOptions,
  ) {
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1)
      throw new RhoError('BAD_CONFIG', `maxBatch must be a positive integer, got ${opts.maxBatch}`, { field: 'maxBatch' });
    if (!(opts.kvBudgetBytes > 0))
      throw new RhoError('BAD_CONFIG', `the key/value budget must be positive, got ${opts.kvBudgetBytes}`, { field: 'kvBudgetBytes' });
    this.stepTokens = Math.max(opts.stepTokens ?? DEFAULT_STEP_TOKENS, opts.maxBatch);
    this.session = lm.openSession(opts.maxBatch, { invariant: true });
    this.bytesPerToken = this.session.tokenBytes;
    this.free = Array.from({ length: opts.maxBatch }, (_, i) => opts.maxBatch - 1 - i);
  }

  /** Bytes of keys and values one token holds (every layer; BF16 at precision bf16, else FP32). */
  get kvBytesPerToken(): number {
    return this.bytesPerToken;
  }

  /** Sequences running now. */
  get active(): number {
    return this.slots.size;
  }

  /** Sequences submitted and not yet running. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * The shared prefix of the prompts to come: the longest token prefix of `prompts` (tokenized in
   * full, never a prompt part on its own), computed now and kept until the next call. Empty or
   * single prompts clear it.
   */
  setPrefix(prompts: readonly (readonly number[])[]): number {
    this.lm.checkIds(prompts);
    const tokens = prompts.length >= 2 ? sharedPrefix(prompts) : [];
    if (tokens.length === this.prefix.length && commonPrefixLength(tokens, this.prefix) === tokens.length) return tokens.length;
    this.prefixSession?.dispose();
    this.prefixSession = null;
    this.prefix = [];
    if (tokens.length < 2) return 0;
    const s = this.lm.openSession(1, { invariant: true });
    const t0 = performance.now();
    try {
      for (let t = 0; t < tokens.length; t += this.stepTokens) {
        const part = tokens.slice(t, t + this.stepTokens);
        s.feed(
          part.map(() => 0),
          part,
          [],
        );
      }
    } catch (e) {
      s.dispose();
      throw e;
    } finally {
      this.stats.busySeconds += (performance.now() - t0) / 1000;
    }
    this.prefixSession = s;
    this.prefix = tokens;
    this.stats.prefixTokens += tokens.length;
    return tokens.length;
  }

  /** Decodes one sequence; resolves when it ends. */
  submit(req: SequenceRequest): Promise<SequenceResult> {
    if (this.closed) return Promise.reject(new RhoError('RUNTIME', 'the scheduler was closed'));
    if (req.prompt.length === 0)
      return Promise.reject(new RhoError('BAD_INPUT', 'prompt is empty', { field: 'prompt', hint: 'start prompts with the BOS token' }));
    if (!Number.isInteger(req.maxNewTokens) || req.maxNewTokens < 0)
      return Promise.reject(new RhoError('BAD_CONFIG', `maxNewTokens must be a non-negative integer, got ${req.maxNewTokens}`, { field: 'maxNewTokens' }));
    try {
      this.lm.checkIds([req.prompt]);
    } catch (e) {
      return Promise.reject(e);
    }
    if (req.signal?.aborted) return Promise.reject(cancelled());
    if (req.maxNewTokens === 0) return Promise.resolve({ tokens: [], stopReason: 'length', ...(req.stop ? { text: '' } : {}) });
    return new Promise((resolve, reject) => {
      const signal = req.signal;
      const onAbort = () => this.cancel(req);
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.queue.push({ req, resolve: (r) => (done(), resolve(r)), reject: (e) => (done(), reject(e)) });
      if (!this.running) void this.run();
    });
  }

  /** Drops a sequence whose caller went away (aborts fire between engine calls, never inside one). */
  private cancel(req: SequenceRequest): void {
    const w = this.queue.findIndex((x) => x.req === req);
    if (w >= 0) {
      this.queue.splice(w, 1)[0]!.reject(cancelled());
      return;
    }
    for (const slot of this.slots.values()) {
      if (slot.req === req) {
        this.finish(slot, null, cancelled());
        return;
      }
    }
  }

  /** Frees the engine's caches; waiting and running sequences are rejected. */
  close(): void {
    this.closed = true;
    const err = new RhoError('RUNTIME', 'the scheduler was closed');
    for (const w of this.queue.splice(0)) w.reject(err);
    for (const s of this.slots.values()) s.reject(err);
    this.slots.clear();
    this.session.dispose();
    this.prefixSession?.dispose();
  }

  private admit(): void {
    while (this.queue.length && this.free.length) {
      const { req } = this.queue[0]!;
      const need = (req.prompt.length + req.maxNewTokens) * this.bytesPerToken;
      // one sequence always runs, whatever the budget: otherwise a long one would wait forever
      if (this.slots.size > 0 && this.reservedBytes + need > this.opts.kvBudgetBytes) break;
      const w = this.queue.shift()!;
      const row = this.free.pop()!;
      // the prefix's keys/values, never the whole prompt: its last token's logits are needed
      const shared = this.prefixSession ? Math.min(commonPrefixLength(this.prefix, req.prompt), req.prompt.length - 1) : 0;
      const capacity = req.prompt.length + req.maxNewTokens;
      try {
        if (shared > 0) this.session.fork(this.prefixSession!, 0, row, shared, capacity);
        else this.session.reset(row);
      } catch (e) {
        this.free.push(row);
        w.reject(e);
        continue;
      }
      this.stats.promptTokensCached += shared;
      const rules = endRules(this.lm.config, req);
      this.slots.set(row, {
        row,
        req,
        rules,
        rng: makeRng(req.seed ?? 0),
        pending: req.prompt.length - shared,
        tokens: [],
        reservedBytes: need,
        resolve: w.resolve,
        reject: w.reject,
      });
      this.reservedBytes += need;
    }
  }

  private finish(slot: Slot, result: SequenceResult | null, err?: unknown): void {
    this.slots.delete(slot.row);
    this.session.reset(slot.row);
    this.free.push(slot.row);
    this.reservedBytes -= slot.reservedBytes;
    if (result) slot.resolve(result);
    else slot.reject(err);
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && (this.queue.length || this.slots.size)) {
        this.admit();
        this.step();
        // let requests arrive and the callers' own work (programs in the sandbox) proceed
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.running = false;
    }
  }

  /** One engine call: every decoding sequence's newest token, then prompt tokens up to the budget. */
  private step(): void {
    const rows: number[] = [];
    const tokens: number[] = [];
    const want: number[] = [];
    const wanted: Slot[] = [];
    const slots = [...this.slots.values()];
    let used = 0;
    for (const s of slots) {
      if (s.pending > 0) continue;
      used++;
      want.push(rows.length);
      wanted.push(s);
      rows.push(s.row);
      tokens.push(s.tokens[s.tokens.length - 1]!);
    }
    let room = this.stepTokens - rows.length;
    let prompt = 0;
    for (const s of slots) {
      if (s.pending === 0 || room <= 0) continue;
      const n = Math.min(s.pending, room);
      used++;
      const from = s.req.prompt.length - s.pending;
      for (let t = 0; t < n; t++) {
        rows.push(s.row);
        tokens.push(s.req.prompt[from + t]!);
      }
      s.pending -= n;
      room -= n;
      prompt += n;
      if (s.pending === 0) {
        want.push(rows.length - 1);
        wanted.push(s);
      }
    }
    if (rows.length === 0) return;
    let logits: Float32Array;
    const t0 = performance.now();
    try {
      this.logitsBuffer ??= new Float32Array(this.opts.maxBatch * this.lm.config.vocabSize);
      logits = this.session.feed(rows, tokens, want, this.logitsBuffer);
    } catch (e) {
      for (const s of slots) this.finish(s, null, e);
      return;
    } finally {
      this.stats.busySeconds += (performance.now() - t0) / 1000;
    }
    this.stats.promptTokensComputed += prompt;
    this.stats.steps++;
    this.stats.rowsInSteps += used;
    this.stats.peakKvBytes = Math.max(this.stats.peakKvBytes, this.session.bytes() + (this.prefixSession?.bytes() ?? 0));
    const v = this.lm.config.vocabSize;
    wanted.forEach((s, j) => {
      const row = logits.subarray(j * v, (j + 1) * v);
      const temperature = s.req.temperature ?? 0;
      s.tokens.push(temperature <= 0 ? argmax(row) : sampleToken(row, temperature, s.req.topP ?? 1, s.rng));
      this.stats.generatedTokens++;
      s.req.onToken?.(s.tokens[s.tokens.length - 1]!, row);
      const end = sequenceEnd(s.rules, s.tokens);
      if (!end) return;
      const text = s.req.stop ? (end.text ?? s.req.stop.decode(s.tokens)) : undefined;
      this.finish(s, { tokens: s.tokens, stopReason: end.reason, ...(text !== undefined ? { text } : {}) });
    });
  }
}
