import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { RhoError } from '@rho/core/base';

/** One request to python/fork_server.py and its reply (see that file for the protocol). */
export interface ServerRequest {
  code: string;
  mode: 'tora' | 'pal';
  timeout: number;
}

export interface ServerReply {
  result: string;
  report: string;
  timed_out: boolean;
  exit_code: number | null;
}

const STDERR_KEEP = 8192;

/**
 * A running fork server: one long-lived process (bwrap or plain python) in its own process group,
 * answering one program at a time. If it stops answering, the whole group is killed.
 */
export class ForkServer {
  private buf = '';
  private waiting: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  private stderrTail = '';
  private exited: string | undefined;

  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => this.onData(chunk));
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_KEEP);
    });
    proc.stdin.on('error', () => {}); // a dead server is reported through 'exit'
    proc.on('exit', (code, signal) => {
      this.exited = signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.waiting?.reject(new RhoError('RUNTIME', `sandbox server ${this.exited}`, { hint: this.stderr() || undefined }));
      this.waiting = undefined;
    });
    proc.on('error', (e) => {
      this.exited = e.message;
      this.waiting?.reject(new RhoError('RUNTIME', `sandbox server failed: ${e.message}`, {}, { cause: e }));
      this.waiting = undefined;
    });
  }

  /** Spawn and wait for the server's ready line. */
  static async start(command: string, args: string[], opts: { env: Record<string, string>; cwd?: string; readyTimeoutMs: number }): Promise<ForkServer> {
    const proc = spawn(command, args, { env: opts.env, cwd: opts.cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const server = new ForkServer(proc);
    try {
      const line = await server.nextLine(opts.readyTimeoutMs);
      const ready = JSON.parse(line) as { ready?: boolean };
      if (!ready.ready) throw new RhoError('RUNTIME', `sandbox server sent ${line.slice(0, 200)} instead of its ready line`);
      return server;
    } catch (e) {
      server.kill();
      throw e instanceof RhoError
        ? e
        : new RhoError('RUNTIME', `sandbox server did not start: ${(e as Error).message}`, { hint: server.stderr() || undefined }, { cause: e });
    }
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  stderr(): string {
    return this.stderrTail.trim();
  }

  /** Run one program; rejects if the server dies or does not answer within `watchdogMs`. */
  async run(req: ServerRequest, watchdogMs: number): Promise<ServerReply> {
    if (!this.alive) throw new RhoError('RUNTIME', `sandbox server ${this.exited}`);
    this.proc.stdin.write(`${JSON.stringify(req)}\n`);
    const line = await this.nextLine(watchdogMs);
    return JSON.parse(line) as ServerReply;
  }

  /** Kill the server and everything in its process group. */
  kill(): void {
    if (this.proc.pid === undefined) return;
    try {
      process.kill(-this.proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    const nl = this.buf.indexOf('\n');
    if (nl < 0 || !this.waiting) return;
    const line = this.buf.slice(0, nl);
    this.buf = this.buf.slice(nl + 1);
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve(line);
  }

  private nextLine(timeoutMs: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      if (!this.alive) return reject(new RhoError('RUNTIME', `sandbox server ${this.exited}`, { hint: this.stderr() || undefined }));
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.kill();
        reject(new RhoError('RUNTIME', `sandbox server did not answer within ${timeoutMs} ms`, { hint: this.stderr() || undefined }));
      }, timeoutMs);
      this.waiting = {
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.onData('');
    });
  }
}
