import { accessSync, constants, lstatSync, readlinkSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** The bubblewrap binary on PATH, or undefined. */
export function findBwrap(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const p = join(dir || '.', 'bwrap');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** How a host path looks, for deciding how to mirror it into the sandbox. */
export type PathKind = { kind: 'dir' } | { kind: 'file' } | { kind: 'symlink'; target: string } | { kind: 'missing' };

export function inspectPath(p: string): PathKind {
  try {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(p) };
    return st.isDirectory() ? { kind: 'dir' } : { kind: 'file' };
  } catch {
    return { kind: 'missing' };
  }
}

export interface BwrapSpec {
  /** Host directories the interpreter reads (python prefix, sys.path), bound read-only at the same path. */
  readDirs: string[];
  /** Host file bound read-only at `serverAt`. */
  serverScript: string;
  serverAt: string;
  /** Size of the private /tmp tmpfs. */
  tmpBytes: number;
  /** Running as real root: keep the capabilities the server needs to give each program its own uid. */
  root: boolean;
  env: Record<string, string>;
  /** Command run inside, e.g. [python, '-I', serverAt, config]. */
  command: string[];
}

// The top-level system directories a dynamically linked python needs; on merged-/usr systems most
// are symlinks into /usr and are recreated as such.
const SYSTEM = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const ETC = ['/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/localtime', '/etc/alternatives'];
const SERVER_CAPS = ['CAP_SETUID', 'CAP_SETGID', 'CAP_KILL', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER'];

/**
 * bubblewrap arguments: a read-only view of the system and the python installation, nothing of
 * the user's files, a private size-bounded /tmp, new PID/network/IPC/UTS namespaces, the server as
 * pid 1 (which signals from inside cannot kill), a cleared environment.
 */
export function bwrapArgs(spec: BwrapSpec, inspect: (p: string) => PathKind = inspectPath): string[] {
  const args: string[] = [];
  for (const p of SYSTEM) {
    const k = inspect(p);
    if (k.kind === 'symlink') args.push('--symlink', k.target, p);
    else if (k.kind === 'dir') args.push('--ro-bind', p, p);
  }
  for (const p of ETC) if (inspect(p).kind !== 'missing') args.push('--ro-bind', p, p);
  const covered = (p: string, roots: string[]) => roots.some((r) => p === r || p.startsWith(r.endsWith('/') ? r : `${r}/`));
  const roots = SYSTEM.filter((p) => inspect(p).kind === 'dir');
  const binds: string[] = [];
  for (const d of [...new Set(spec.readDirs)].sort()) {
    if (covered(d, [...roots, ...binds]) || d === '/') continue;
    binds.push(d);
  }
  // Parents of the binds are made world-searchable: bwrap copies the host's modes, and /root is
  // 0700, which would hide a pyenv python from the program's unprivileged uid.
  const parents = new Set<string>();
  for (const d of [...binds, spec.serverAt]) {
    for (let p = dirname(d); p !== '/' && !covered(p, roots); p = dirname(p)) parents.add(p);
  }
  // /tmp first: a python installed under /tmp (a virtualenv, say) is then bound on top of it.
  args.push('--proc', '/proc', '--dev', '/dev', '--size', String(spec.tmpBytes), '--perms', '1777', '--tmpfs', '/tmp');
  for (const p of [...parents].sort((a, b) => a.length - b.length)) args.push('--perms', '0755', '--dir', p);
  for (const d of binds) args.push('--ro-bind', d, d);
  args.push('--ro-bind', spec.serverScript, spec.serverAt);
  args.push('--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try');
  args.push('--die-with-parent', '--new-session', '--as-pid-1');
  if (spec.root) for (const c of SERVER_CAPS) args.push('--cap-add', c);
  args.push('--clearenv');
  for (const [k, v] of Object.entries(spec.env)) args.push('--setenv', k, v);
  args.push('--chdir', '/tmp', '--', ...spec.command);
  return args;
}
