import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/rho', import.meta.url));

let loaded: Promise<void> | undefined;

/**
 * Registers tfjs's gradient functions. tfjs-core's Node bundle has none: the umbrella
 * @tensorflow/tfjs (which we do not depend on) imports them from tfjs-core's per-file ESM sources,
 * whose extensionless imports plain Node cannot load, and which take seconds to load one by one
 * through tsx or vitest. So we bundle them once with esbuild into a single file (cached under
 * node_modules/.cache) and import that. tfjs keeps its engine and registries on globalThis, so what
 * the bundle registers is what the Node bundle we import everywhere else sees.
 */
export function registerAllGradients(): Promise<void> {
  loaded ??= (async () => {
    const name = `tfjs-gradients-${tf.version_core}.mjs`;
    let file = join(CACHE_DIR, name);
    if (!existsSync(file)) {
      try {
        await bundleGradients(file);
      } catch {
        // a read-only node_modules: bundle into the temp directory instead
        file = join(tmpdir(), `rho-${process.getuid?.() ?? 'user'}`, name);
        if (!existsSync(file)) await bundleGradients(file);
      }
    }
    await import(pathToFileURL(file).href);
  })();
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}

async function bundleGradients(file: string): Promise<void> {
  const { build } = await import('esbuild');
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp.mjs`;
  try {
    await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', outfile: tmp, logLevel: 'silent' });
    // rename: parallel test workers may bundle at once; each sees a complete file or none
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}
