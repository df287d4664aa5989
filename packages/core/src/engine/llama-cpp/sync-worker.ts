import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { RhoError } from '../../errors.ts';

interface Reply {
  id: number;
  result?: unknown;
  error?: { message: string; code: string | null };
  event?: string;
  value?: unknown;
}

/**
 * Synchronous calls into a worker thread: the caller posts a request and sleeps on a shared flag
 * (Atomics.wait) until the worker posts its reply, then reads it with receiveMessageOnPort. This is
 * how an asynchronous library (node-llama-cpp) sits behind the synchronous CausalLm interface that
 * core check, scoring and the samplers use. Events the worker posts before the reply (load progress)
 * reach `onEvent` in order.
 */
export class SyncWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  private nextId = 1;
  private closed = false;

  constructor(file: URL, data: Record<string, unknown>) {
    const sab = new SharedArrayBuffer(4);
    this.flag = new Int32Array(sab);
    const { port1, port2 } = new MessageChannel();
    // the worker needs no TypeScript loader: it is plain JavaScript (execArgv [] keeps tsx out of it)
    this.worker = new Worker(file, { workerData: { ...data, port: port2, signal: sab }, transferList: [port2], execArgv: [] });
    // a CLI exits when its work is done, whether or not the model was disposed
    this.worker.unref();
    this.port = port1;
  }

  call<T>(op: string, args: unknown, onEvent?: (event: string, value: unknown) => void): T {
    const id = this.post(op, args);
    for (;;) {
      const got = receiveMessageOnPort(this.port);
      if (!got) {
        Atomics.wait(this.flag, 0, 0);
        Atomics.store(this.flag, 0, 0);
        continue;
      }
      const r = this.handle<T>(got.message as Reply, id, onEvent);
      if (r.done) return r.value;
    }
  }

  /**
   * The same call without blocking the event loop, for the long ones (starting llama.cpp, loading
   * the weights): a test runner's or a server's own messages keep flowing meanwhile.
   */
  async callAsync<T>(op: string, args: unknown, onEvent?: (event: string, value: unknown) => void): Promise<T> {
    const id = this.post(op, args);
    for (;;) {
      const got = receiveMessageOnPort(this.port);
      if (!got) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const r = this.handle<T>(got.message as Reply, id, onEvent);
      if (r.done) return r.value;
    }
  }

  private post(op: string, args: unknown): number {
    if (this.closed) throw new RhoError('RUNTIME', 'the llama.cpp engine was disposed');
    const id = this.nextId++;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ id, op, args });
    return id;
  }

  private handle<T>(m: Reply, id: number, onEvent?: (event: string, value: unknown) => void): { done: false } | { done: true; value: T } {
    if (m.event !== undefined) {
      if (m.id === id) onEvent?.(m.event, m.value);
      return { done: false };
    }
    if (m.id !== id && m.id !== -1) return { done: false }; // a stale reply (cannot happen: calls do not overlap)
    if (m.error) {
      const e = new RhoError('RUNTIME', `llama.cpp: ${m.error.message}`, { field: 'engine' });
      (e as RhoError & { workerCode?: string | null }).workerCode = m.error.code;
      throw e;
    }
    return { done: true, value: m.result as T };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}
