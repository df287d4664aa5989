#!/usr/bin/env node
// Builds build/rho_native.node against the Node headers already on this machine and the system's
// OpenBLAS. Nothing is downloaded. A failed build is a warning, never a failed install: the backend
// then runs with tfjs's own matmul (see packages/core/src/backend/native.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// --out <file>: build elsewhere (tests); --strict: a failed build exits 1 instead of warning
const outAt = process.argv.indexOf('--out');
const out = outAt >= 0 ? resolve(process.argv[outAt + 1] ?? '') : join(here, 'build', 'rho_native.node');
const strict = process.argv.includes('--strict');

function headerDir() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    resolve(process.execPath, '..', '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

function fail(why) {
  const msg = `rho native: not built (${why}); tfjs's own matmul will be used.\n` +
    `  To build: apt-get install libopenblas-dev (and Node headers), then node ${join(here, 'build.mjs')}`;
  if (strict) {
    console.error(msg);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

const inc = headerDir();
if (!inc) fail('Node headers (node_api.h) not found');
const cc = process.env.CC || 'cc';
// oneDNN (Debian libdnnl-dev) is optional: without its header the products fall back to OpenBLAS.
const dnnl = process.env.RHO_NO_DNNL !== '1' && ['/usr/include/oneapi/dnnl/dnnl.h', '/usr/local/include/oneapi/dnnl/dnnl.h'].some((f) => existsSync(f));
if (!dnnl) console.warn('rho native: oneDNN headers not found (apt-get install libdnnl-dev); building without BF16 matmuls');
const sources = readdirSync(join(here, 'src')).filter((f) => f.endsWith('.c')).sort().map((f) => join(here, 'src', f));
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
try {
  execFileSync(
    cc,
    // -fopenmp: the engine's kernels share oneDNN's OpenMP thread pool; -fno-math-errno: sqrtf in a
    // loop vectorises (errno is never read)
    ['-O3', '-fopenmp', '-fno-math-errno', '-fPIC', '-shared', '-Wall', '-DNODE_GYP_MODULE_NAME=rho_native', `-I${inc}`,
      ...(dnnl ? ['-DRHO_HAVE_DNNL'] : []), ...sources, '-o', tmp, ...(dnnl ? ['-ldnnl'] : []), '-lopenblas', '-lm', '-lpthread'],
    { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 },
  );
  // rename so a concurrent loader never sees a half-written library
  renameSync(tmp, out);
} catch (err) {
  rmSync(tmp, { force: true });
  fail(`${cc} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
}
console.log(`rho native: built ${out}`);
