/**
 * Package boundaries: code outside a package reaches it only through the names its package.json
 * exports (`@rho/core`, `@rho/core/base`, ...), never by a path into its `src/`, and a package
 * imports only the workspace packages it declares as dependencies. A package's own files (its
 * tests included) import each other by relative path. Every import of every source file is read
 * with TypeScript's own pre-parser (static, `export ... from`, dynamic `import()`, `require`, type
 * queries; comments and strings ignored), plus vitest's `vi.mock` paths.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP = new Set(['node_modules', 'build', 'dist', '.git']);

interface Manifest {
  name: string;
  exports: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** The workspace packages by folder name (packages/<dir>). */
function workspacePackages(root: string): Map<string, Manifest> {
  const out = new Map<string, Manifest>();
  for (const dir of readdirSync(join(root, 'packages'))) {
    out.set(dir, JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as Manifest);
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(path) : SOURCE.test(e.name) ? [path] : [];
  });
}

/** Every module specifier in `source` with its 1-based line. */
function importsOf(source: string): { specifier: string; line: number }[] {
  const lineAt = (pos: number) => source.slice(0, pos).split('\n').length;
  const found = ts.preProcessFile(source, true, true).importedFiles.map((f) => ({ specifier: f.fileName, line: lineAt(f.pos) }));
  for (const m of source.matchAll(/\bvi\.(?:do)?[mM]ock\(\s*(['"])([^'"]+)\1/g)) found.push({ specifier: m[2]!, line: lineAt(m.index!) });
  return found;
}

/** The package folder (packages/<dir>) a repository-relative path lies in, if any. */
function packageOf(path: string): string | undefined {
  const parts = path.split(sep);
  return parts[0] === 'packages' ? parts[1] : undefined;
}

/** What is wrong with each import of `file` (repository-relative), as `file:line: specifier: why`. */
function boundaryViolations(file: string, source: string, packages: Map<string, Manifest>): string[] {
  const own = packageOf(file);
  const byName = new Map([...packages].map(([dir, m]) => [m.name, { dir, manifest: m }]));
  const out: string[] = [];
  for (const { specifier, line } of importsOf(source)) {
    const at = `${file}:${line}: ${specifier}`;
    if (specifier.startsWith('.') || specifier.startsWith('/')) {
      const target = relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), specifier));
      const into = packageOf(target);
      if (own !== undefined && into !== own) out.push(`${at}: leaves package ${own}; import another package by its exported name`);
      else if (own === undefined && into !== undefined) out.push(`${at}: reaches into package ${into} by path; import what its package.json exports`);
      continue;
    }
    const m = /^(@rho\/[^/]+)(\/.*)?$/.exec(specifier);
    if (!m) {
      if (/packages\/[^/]+\/src\//.test(specifier)) out.push(`${at}: a path into a package's src/`);
      continue;
    }
    const target = byName.get(m[1]!);
    if (!target) {
      out.push(`${at}: no workspace package is named ${m[1]}`);
      continue;
    }
    const subpath = `.${m[2] ?? ''}`;
    if (!(subpath in target.manifest.exports))
      out.push(`${at}: ${m[1]} does not export '${subpath}' (exports: ${Object.keys(target.manifest.exports).join(', ')})`);
    if (own !== undefined) {
      const manifest = packages.get(own)!;
      if (target.dir === own) out.push(`${at}: a package imports its own files by relative path`);
      else if (!manifest.dependencies?.[m[1]!] && !manifest.devDependencies?.[m[1]!])
        out.push(`${at}: ${manifest.name} does not declare a dependency on ${m[1]}`);
    }
  }
  return out;
}

describe('package boundaries', () => {
  const packages = workspacePackages(REPO_ROOT);
  const roots = [...[...packages.keys()].map((p) => join('packages', p)), 'scripts', 'test'];
  const topLevel = readdirSync(REPO_ROOT).filter((f) => SOURCE.test(f));

  it('no file imports a package by a path into it, nor a name it does not export', () => {
    const files = [...roots.flatMap((r) => sourceFiles(join(REPO_ROOT, r))), ...topLevel.map((f) => join(REPO_ROOT, f))];
    expect(files.length).toBeGreaterThan(300);
    const violations = files.flatMap((f) => boundaryViolations(relative(REPO_ROOT, f), readFileSync(f, 'utf8'), packages));
    expect(violations).toEqual([]);
  });

  it('names each kind of crossing (the check itself)', () => {
    const src = [
      "import { a } from '../packages/core/src/base.ts';",
      "import { b } from '@rho/core/src/index.ts';",
      "const c = await import('@rho/eval');",
      "vi.mock('../../eval/src/grader/math-equal.ts');",
      "import { d } from '../other/x.ts';",
      "// import { e } from '../packages/core/src/base.ts';",
    ].join('\n');
    const line = (v: string) => v.split(': ')[0];
    expect(boundaryViolations(join('scripts', 'x.ts'), src, packages).map(line)).toEqual(['scripts/x.ts:1', 'scripts/x.ts:2']);
    expect(boundaryViolations(join('packages', 'core', 'src', 'x.ts'), src, packages).map(line)).toEqual([
      'packages/core/src/x.ts:2',
      'packages/core/src/x.ts:2',
      'packages/core/src/x.ts:3',
      'packages/core/src/x.ts:4',
    ]);
    expect(boundaryViolations(join('packages', 'slm', 'src', 'x.ts'), src, packages).map(line)).toEqual([
      'packages/slm/src/x.ts:2',
      'packages/slm/src/x.ts:3',
      'packages/slm/src/x.ts:4',
    ]);
  });
});
