import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RhoError } from '../errors.ts';

/** One way to get a tfjs backend: load its package, then `tf.setBackend(tfName)`. */
export interface BackendCandidate {
  /** what RHO_BACKEND names it */
  id: string;
  /** the name tfjs registers it under */
  tfName: string;
  load(): Promise<unknown>;
}

/**
 * Loads tfjs-node(-gpu) when it is installed with its native binding. Both are optional and
 * usually absent; when present but unbuilt (pnpm skipped or failed its install script, which
 * downloads libtensorflow) importing them costs a second of loading the whole @tensorflow/tfjs
 * umbrella before failing, so the binding is looked for first.
 */
async function loadTfjsNode(pkg: string): Promise<unknown> {
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${pkg} is not installed`);
  }
  const lib = join(root, 'lib');
  const built = existsSync(lib) && readdirSync(lib).some((d) => existsSync(join(lib, d, 'tfjs_binding.node')));
  if (!built) throw new Error(`${pkg} is installed without its native binding (its install script did not run or could not download libtensorflow)`);
  // a variable specifier: TypeScript must not require these optional packages to exist
  const spec: string = pkg;
  return import(spec);
}

/** Fastest first. tfjs-node-gpu and tfjs-node both register as `tensorflow`. */
export const DEFAULT_CANDIDATES: readonly BackendCandidate[] = Object.freeze([
  { id: 'tfjs-node-gpu', tfName: 'tensorflow', load: () => loadTfjsNode('@tensorflow/tfjs-node-gpu') },
  { id: 'tfjs-node', tfName: 'tensorflow', load: () => loadTfjsNode('@tensorflow/tfjs-node') },
  { id: 'wasm', tfName: 'wasm', load: () => import('@tensorflow/tfjs-backend-wasm') },
  { id: 'cpu', tfName: 'cpu', load: () => import('@tensorflow/tfjs-backend-cpu') },
]);

/** RHO_BACKEND values and the candidates each allows, in order. */
const ALIASES: Record<string, readonly string[]> = {
  tensorflow: ['tfjs-node-gpu', 'tfjs-node'],
  gpu: ['tfjs-node-gpu'],
  'tfjs-node-gpu': ['tfjs-node-gpu'],
  node: ['tfjs-node'],
  'tfjs-node': ['tfjs-node'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

/** The candidates to try for an RHO_BACKEND value (undefined or empty: all, in order). */
export function candidatesFor(request: string | undefined, candidates: readonly BackendCandidate[] = DEFAULT_CANDIDATES): readonly BackendCandidate[] {
  if (request === undefined || request.trim() === '') return candidates;
  const ids = ALIASES[request.trim().toLowerCase()];
  if (!ids) {
    throw new RhoError('BAD_CONFIG', `unknown backend "${request}"`, {
      field: 'RHO_BACKEND',
      expected: Object.keys(ALIASES),
      got: request,
    });
  }
  return candidates.filter((c) => ids.includes(c.id));
}

const HANDLED_EVENTS = ['uncaughtException', 'unhandledRejection'];
type Listener = (...args: unknown[]) => void;
const emitter = process as unknown as { listeners(e: string): Listener[]; removeListener(e: string, l: Listener): void };

function processHandlers(): Map<string, Set<Listener>> {
  return new Map(HANDLED_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
}

/**
 * The Emscripten glue of tfjs-backend-wasm installs process-wide handlers that rethrow every
 * uncaught error (printing its whole minified source) and turn unhandled rejections into crashes.
 * Error reporting belongs to our CLI (runMain), so those handlers are removed again.
 */
function removeHandlersAddedSince(before: Map<string, Set<Listener>>): void {
  for (const e of HANDLED_EVENTS) {
    for (const l of emitter.listeners(e)) {
      if (!before.get(e)!.has(l)) emitter.removeListener(e, l);
    }
  }
}

export interface Selected {
  candidate: BackendCandidate;
  /** why each earlier candidate was skipped */
  skipped: { id: string; reason: string }[];
}

/**
 * Tries each candidate in order and activates the first that loads and initialises. With an
 * explicit request (RHO_BACKEND) a failure is an error, never a silent fallback to something slower.
 */
export async function selectBackend(request: string | undefined, candidates: readonly BackendCandidate[] = DEFAULT_CANDIDATES): Promise<Selected> {
  const explicit = request !== undefined && request.trim() !== '';
  const skipped: { id: string; reason: string }[] = [];
  for (const candidate of candidatesFor(request, candidates)) {
    const before = processHandlers();
    try {
      await candidate.load();
      // setBackend resolves false (and logs) when the backend's initialisation fails
      if (!(await tf.setBackend(candidate.tfName))) throw new Error(`tf.setBackend('${candidate.tfName}') failed`);
      await tf.ready();
      return { candidate, skipped };
    } catch (err) {
      skipped.push({ id: candidate.id, reason: err instanceof Error ? err.message.split('\n')[0]! : String(err) });
    } finally {
      removeHandlersAddedSince(before);
    }
  }
  const tried = skipped.map((s) => `${s.id}: ${s.reason}`).join('; ');
  throw new RhoError(explicit ? 'UNSUPPORTED' : 'RUNTIME', `no usable tfjs backend${explicit ? ` for RHO_BACKEND=${request}` : ''}`, {
    field: explicit ? 'RHO_BACKEND' : undefined,
    got: tried || 'no candidates',
    hint: explicit ? 'unset RHO_BACKEND to pick the fastest available backend' : 'reinstall dependencies with pnpm install',
  });
}
