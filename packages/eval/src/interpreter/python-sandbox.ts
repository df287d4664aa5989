import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { pidAlive, RhoError } from '@rho/core/base';
import { bwrapArgs, findBwrap } from './bwrap.ts';
import { ForkServer, type ServerReply } from './fork-server.ts';
import { findPython, type PythonInfo } from './python-env.ts';
import { feedback, type ExecResult, type IsolationLevel, type ProgramMode } from './types.ts';

export interface PythonSandboxOptions {
  /** `auto`: bubblewrap when it works here, else rlimits with a loud warning; `bwrap`: required. */
  isolation: 'auto' | 'bwrap' | 'rlimits';
  /** Programs run at once (one fork server each). */
  concurrency: number;
  timeoutS: number;
  /** Address-space limit per program (RLIMIT_AS). */
  memoryBytes: number;
  /**
   * RLIMIT_NPROC. With a uid per program (bwrap as root) it counts the program's processes and
   * threads, its own included; otherwise all of the user's, so 1 forbids any fork either way
   * (root without bwrap is exempt). 1: no subprocesses, no threads.
   */
  nproc: number;
  /** Largest file a program may write (RLIMIT_FSIZE). */
  fileBytes: number;
  /** Size of the sandbox's private /tmp. */
  tmpBytes: number;
  /** Most characters a program may print; past it the program fails with OutputLimitError. */
  outputChars: number;
  /** Modules imported once by the server so programs do not pay for them. */
  preload: string[];
}

export const PYTHON_SANDBOX_DEFAULTS: Readonly<PythonSandboxOptions> = Object.freeze({
  isolation: 'auto',
  concurrency: Math.max(1, cpus().length),
  timeoutS: 5,
  memoryBytes: 4 * 1024 ** 3,
  nproc: 1,
  fileBytes: 16 * 1024 ** 2,
  tmpBytes: 128 * 1024 ** 2,
  outputChars: 1 << 20,
  // sympy is what model programs import (and costs ~0.5 s); numpy is left out: it makes every fork dearer.
  preload: ['sympy', 'math', 'fractions', 'decimal', 'itertools', 'collections', 'datetime'],
});

const SERVER_SCRIPT = fileURLToPath(new URL('./python/fork_server.py', import.meta.url));
const SERVER_AT = '/rho/fork_server.py';
const PROGRAM_ENV = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'C.UTF-8',
  PYTHONHASHSEED: '0',
  PYTHONDONTWRITEBYTECODE: '1',
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  MPLBACKEND: 'Agg',
};
// Beyond the program's own limit: the server's deadline fires first, this only catches a server that hangs.
const WATCHDOG_GRACE_MS = 10_000;

let bwrapBroken: string | undefined;
let warned = false;

function warnOnce(reason: string): void {
  if (warned) return;
  warned = true;
  const bar = '!'.repeat(78);
  process.stderr.write(
    `${bar}\n! WARNING: model programs run WITHOUT bubblewrap isolation (${reason}).\n` +
      '! They still get resource limits, a scrubbed environment and their own process group, but\n' +
      '! they can read your files and reach the network. Install bubblewrap (apt-get install\n' +
      `! bubblewrap) on a machine that allows namespaces to isolate them.\n${bar}\n`,
  );
}

/**
 * Runs Python programs with the harness's semantics, each in a fresh forked interpreter inside a
 * sandbox. Holds `concurrency` fork servers, started on first use; dispose() stops them.
 *
 * Layers, strongest first. bwrap: new PID/net/IPC/UTS namespaces, read-only system and python,
 * nothing of the user's files, a private size-bounded /tmp emptied after every program, the server
 * as pid 1, and (as root) a fresh uid per server for the programs. Always: RLIMIT_CPU/AS/NPROC/
 * FSIZE/CORE, a cleared environment, the program in its own session and process group, killed with
 * whatever it left behind, a wall-clock limit, an output cap, stdin closed. Without working bwrap
 * the second layer alone, with one loud warning; `isolation` in each result says which ran.
 */
export class PythonSandbox {
  readonly opts: PythonSandboxOptions;
  private python: Promise<PythonInfo> | undefined;
  private readonly idle: ForkServer[] = [];
  private readonly all = new Set<ForkServer>();
  private readonly limit: ReturnType<typeof pLimit>;
  private level: IsolationLevel | undefined;
  private readonly scratch: string[] = [];
  private disposed = false;

  constructor(options: Partial<PythonSandboxOptions> = {}) {
    this.opts = { ...PYTHON_SANDBOX_DEFAULTS, isolation: isolationFromEnv(process.env.RHO_SANDBOX), ...options };
    if (!(this.opts.concurrency >= 1)) throw new RhoError('BAD_CONFIG', 'concurrency must be at least 1', { field: 'concurrency', got: this.opts.concurrency });
    if (!(this.opts.timeoutS > 0)) throw new RhoError('BAD_CONFIG', 'timeout must be positive', { field: 'timeout', got: this.opts.timeoutS });
    this.limit = pLimit(this.opts.concurrency);
    removeDeadSandboxDirs();
  }

  /** The isolation level reached (starts a server to find out). */
  async isolation(): Promise<IsolationLevel> {
    const s = await this.acquire();
    this.release(s);
    return this.level!;
  }

  run(code: string, mode: ProgramMode, timeoutS = this.opts.timeoutS): Promise<ExecResult> {
    return this.limit(() => this.runNow(code, mode, timeoutS));
  }

  runBatch(codes: string[], mode: ProgramMode, timeoutS = this.opts.timeoutS): Promise<ExecResult[]> {
    return Promise.all(codes.map((c) => this.run(c, mode, timeoutS)));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const s of this.all) s.kill();
    this.all.clear();
    this.idle.length = 0;
    for (const d of this.scratch) rmSync(d, { recursive: true, force: true });
  }

  private async runNow(code: string, mode: ProgramMode, timeoutS: number): Promise<ExecResult> {
    const server = await this.acquire();
    let reply: ServerReply;
    try {
      reply = await server.run({ code, mode, timeout: timeoutS }, timeoutS * 1000 + WATCHDOG_GRACE_MS);
    } catch (e) {
      // The server died or hung (a program found a way to take it down): drop it, record an error.
      server.kill();
      this.all.delete(server);
      const hung = (e as Error).message.includes('did not answer');
      reply = { result: '', report: hung ? 'Timeout Error' : `SandboxError: ${(e as Error).message}`, timed_out: hung, exit_code: null };
      return toResult(reply, this.level!);
    }
    this.release(server);
    return toResult(reply, this.level!);
  }

  private release(s: ForkServer): void {
    if (s.alive && !this.disposed) this.idle.push(s);
    else this.all.delete(s);
  }

  private async acquire(): Promise<ForkServer> {
    if (this.disposed) throw new RhoError('RUNTIME', 'the Python sandbox was disposed');
    const free = this.idle.pop();
    if (free?.alive) return free;
    if (free) this.all.delete(free);
    const s = await this.startServer();
    this.all.add(s);
    return s;
  }

  private async startServer(): Promise<ForkServer> {
    this.python ??= findPython();
    const py = await this.python;
    const want = this.opts.isolation;
    const bwrap = want === 'rlimits' ? undefined : findBwrap();
    if (want === 'bwrap' && (!bwrap || bwrapBroken)) {
      throw new RhoError('UNSUPPORTED', `bubblewrap isolation was required but ${bwrap ? `does not work here: ${bwrapBroken}` : 'bwrap is not installed'}`, {
        hint: 'apt-get install bubblewrap; in a container, allow user namespaces or run as root',
      });
    }
    if (bwrap && !bwrapBroken) {
      try {
        const s = await this.startBwrap(bwrap, py);
        this.level = 'bwrap';
        return s;
      } catch (e) {
        if (want === 'bwrap') throw e;
        bwrapBroken = (e as Error).message.split('\n')[0];
        if (e instanceof RhoError && e.context.hint) bwrapBroken += `: ${e.context.hint.split('\n').pop()}`;
      }
    }
    warnOnce(want === 'rlimits' ? 'isolation "rlimits" was asked for' : bwrap ? `bwrap does not work here: ${bwrapBroken}` : 'bwrap is not installed');
    const s = await this.startPlain(py);
    this.level = 'rlimits';
    return s;
  }

  private config(uid: number, workdir: string): string {
    const o = this.opts;
    return JSON.stringify({
      preload: o.preload,
      uid,
      workdir,
      limits: { address_space: o.memoryBytes, nproc: o.nproc, fsize: o.fileBytes, output: o.outputChars },
    });
  }

  private startBwrap(bwrap: string, py: PythonInfo): Promise<ForkServer> {
    const root = process.getuid?.() === 0;
    // A fresh uid per server: RLIMIT_NPROC counts per uid, and a program can signal nothing else.
    const uid = root ? 200_000 + Math.floor(Math.random() * 1_000_000) : -1;
    const args = bwrapArgs({
      readDirs: py.dirs,
      serverScript: SERVER_SCRIPT,
      serverAt: SERVER_AT,
      tmpBytes: this.opts.tmpBytes,
      root,
      env: { ...PROGRAM_ENV, HOME: '/tmp' },
      command: [py.executable, '-I', SERVER_AT, this.config(uid, '/tmp')],
    });
    return ForkServer.start(bwrap, args, { env: {}, readyTimeoutMs: 60_000 });
  }

  private startPlain(py: PythonInfo): Promise<ForkServer> {
    const dir = mkdtempSync(join(tmpdir(), `${SCRATCH_PREFIX}${process.pid}-`));
    this.scratch.push(dir);
    return ForkServer.start(py.executable, ['-I', SERVER_SCRIPT, this.config(-1, dir)], {
      env: { ...PROGRAM_ENV, HOME: dir, TMPDIR: dir },
      cwd: dir,
      readyTimeoutMs: 60_000,
    });
  }
}

/** Scratch directories of unisolated servers: `rho-sandbox-<pid>-XXXXXX` in the system temporary directory. */
const SCRATCH_PREFIX = 'rho-sandbox-';

/**
 * A killed run cannot remove its scratch directories: the next one removes those whose process is
 * gone (the pid in the name), so kills leave nothing behind for long.
 */
function removeDeadSandboxDirs(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const n of names) {
    const m = new RegExp(`^${SCRATCH_PREFIX}(\\d+)-`).exec(n);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) rmSync(join(tmpdir(), n), { recursive: true, force: true });
  }
}

/** RHO_SANDBOX=auto|bwrap|rlimits picks the isolation when the caller does not. */
export function isolationFromEnv(value: string | undefined): PythonSandboxOptions['isolation'] {
  if (value === undefined || value === '') return PYTHON_SANDBOX_DEFAULTS.isolation;
  if (value === 'auto' || value === 'bwrap' || value === 'rlimits') return value;
  throw new RhoError('BAD_CONFIG', `unknown sandbox isolation: ${value}`, { field: 'RHO_SANDBOX', expected: 'auto | bwrap | rlimits', got: value });
}

function toResult(r: ServerReply, isolation: IsolationLevel): ExecResult {
  return { output: feedback(r.result, r.report), result: r.result, report: r.report, timedOut: r.timed_out, exitCode: r.exit_code, isolation };
}
