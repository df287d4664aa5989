import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { RhoError } from '@rho/core/base';

const run = promisify(execFile);

/** A python3 that can run model programs: its real executable and the directories it reads. */
export interface PythonInfo {
  executable: string;
  version: string;
  sympy: string;
  /** sys.prefix, base_prefix, exec_prefix and the sys.path directories (bound into the sandbox). */
  dirs: string[];
}

const PROBE = [
  'import json, os, sys, sympy',
  'dirs = [sys.prefix, sys.base_prefix, sys.exec_prefix] + [p for p in sys.path if p]',
  'print(json.dumps({"executable": os.path.abspath(sys.executable), "version": sys.version.split()[0],',
  '  "sympy": sympy.__version__, "dirs": [os.path.abspath(d) for d in dirs if os.path.isdir(d)]}))',
].join('\n');

const cache = new Map<string, Promise<PythonInfo>>();

/**
 * The python3 to use: env RHO_PYTHON if set, else the first of `python3` on PATH and
 * /usr/bin/python3 that can import sympy (model programs use it). Probed once per process.
 */
export function findPython(env: NodeJS.ProcessEnv = process.env): Promise<PythonInfo> {
  const explicit = env.RHO_PYTHON;
  const candidates = explicit ? [explicit] : ['python3', '/usr/bin/python3'];
  const key = candidates.join('\0');
  let found = cache.get(key);
  if (!found) {
    found = probeAll(candidates, explicit !== undefined);
    cache.set(key, found);
  }
  return found;
}

async function probeAll(candidates: string[], explicit: boolean): Promise<PythonInfo> {
  const failures: string[] = [];
  for (const c of candidates) {
    if (c.includes('/') && !existsSync(c)) {
      failures.push(`${c}: not found`);
      continue;
    }
    try {
      // -I as the sandbox runs it: no user site, no PYTHON* variables.
      const { stdout } = await run(c, ['-I', '-c', PROBE], { timeout: 60_000 });
      // Not resolved through symlinks: a virtualenv's python finds its packages from its own path.
      return JSON.parse(stdout) as PythonInfo;
    } catch (e) {
      const msg = (e as { stderr?: string }).stderr?.trim().split('\n').pop() ?? (e as Error).message;
      failures.push(`${c}: ${msg}`);
    }
  }
  throw new RhoError('NOT_FOUND', `no python3 with sympy found (${failures.join('; ')})`, {
    field: explicit ? 'RHO_PYTHON' : undefined,
    hint: 'install python3 and sympy (Debian: apt-get install python3 python3-sympy; or pip install sympy), or set RHO_PYTHON to a python3 that has it',
  });
}
