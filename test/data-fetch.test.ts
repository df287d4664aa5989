import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, RhoError } from '@rho/core/base';
import { fetchData, failureError, loadManifest, verifyData } from '@rho/eval/datafetch';
import { loadExamples } from '@rho/eval';

const UPSTREAM = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');
const manifest = loadManifest();
const work = mkdtempSync(join(tmpdir(), 'rho-data-fetch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every file under dir, relative, so tests can see stray temp files. */
function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(join(dir, d.name), `${prefix}${d.name}/`) : [`${prefix}${d.name}`],
  );
}

describe('pnpm data fetch --from', () => {
  it('copies every manifest file from a local folder, then verify passes', () => {
    const out = join(work, 'from-cli');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'scripts/data.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
    const fetched = run('fetch', '--from', UPSTREAM, '--out', out);
    expect(fetched.stderr).toBe('');
    expect(fetched.status).toBe(0);
    expect(fetched.stdout).toContain(`${manifest.files.length} fetched, 0 already present, 0 failed`);
    expect(listFiles(out).sort()).toEqual(manifest.files.map((f) => f.path).sort());

    const verified = run('verify', '--dir', out);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toContain(`${manifest.files.length}/${manifest.files.length} ok`);

    const again = run('fetch', '--from', UPSTREAM, '--out', out, '--only', 'gsm8k,prompts');
    expect(again.stdout).toMatch(/0 fetched, \d+ already present, 0 failed/);
    // the fetched directory is a working data directory
    expect(loadExamples('svamp', out)).toHaveLength(1000);
  });

  it('rejects a corrupted file by name, writes nothing for it and keeps the good ones', async () => {
    const src = join(work, 'corrupt-src');
    const out = join(work, 'corrupt-out');
    cpSync(join(UPSTREAM, 'prompts'), join(src, 'prompts'), { recursive: true });
    const victim = join(src, 'prompts/cot/gsm8k.md');
    const text = readFileSync(victim, 'utf8');
    writeFileSync(victim, text.replace('15 trees', '16 trees'));

    const summary = await fetchData({ manifest, out, from: src, only: ['prompts'] });
    expect(summary.failed.map((f) => f.path)).toEqual(['prompts/cot/gsm8k.md']);
    expect(summary.fetched).toHaveLength(manifest.files.filter((f) => f.group === 'prompts').length - 1);
    const err = failureError(summary.failed);
    expect(err.message).toContain('prompts/cot/gsm8k.md');
    expect(err.context.file).toBe(victim);
    expect(existsSync(join(out, 'prompts/cot/gsm8k.md'))).toBe(false);
    expect(listFiles(out).some((f) => f.endsWith('.tmp'))).toBe(false);
    expect(verifyData(out, manifest, ['prompts']).filter((r) => r.status !== 'ok')).toEqual([{ path: 'prompts/cot/gsm8k.md', status: 'missing' }]);
  });

  it('replaces a damaged file already in the data directory', async () => {
    const out = join(work, 'damaged');
    await fetchData({ manifest, out, from: UPSTREAM, only: ['sat_math'] });
    writeFileSync(join(out, 'data/sat_math/test.jsonl'), '{}\n');
    expect(verifyData(out, manifest, ['sat_math'])[0]!.status).toBe('mismatch');
    const summary = await fetchData({ manifest, out, from: UPSTREAM, only: ['sat_math'] });
    expect(summary.fetched).toEqual(['data/sat_math/test.jsonl']);
    expect(verifyData(out, manifest, ['sat_math'])[0]!.status).toBe('ok');
  });

  it('lists the known groups for an unknown --only name', async () => {
    await expect(fetchData({ manifest, out: join(work, 'x'), from: UPSTREAM, only: ['gsm9k'] })).rejects.toThrow(
      /unknown name\(s\) in --only: gsm9k; known: .*gsm8k.*prompts/,
    );
  });
});

describe('pnpm data fetch over HTTP (a mirror on 127.0.0.1 serving the public files in their public form)', () => {
  let server: Server;
  let base = '';
  const hits = new Map<string, number>();
  const mirror = join(work, 'mirror');

  beforeAll(async () => {
    // Lay the sources out as their URLs name them: plain files as they are, the reference
    // outputs inside a zip, TabMWP as PromptPG's JSON object keyed by pid (with table_for_pd).
    const zipped = join(work, 'zip-members');
    for (const f of manifest.files) {
      const target = join(mirror, f.url.replace(/^https:\/\//, ''));
      const bytes = readFileSync(join(UPSTREAM, f.path));
      if (f.member) {
        mkdirSync(dirname(join(zipped, 'outputs', f.member)), { recursive: true });
        writeFileSync(join(zipped, 'outputs', f.member), bytes);
      } else if (f.transform === 'tabmwp-jsonl') {
        const problems: Record<string, unknown> = {};
        const rows = bytes
          .toString('utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        for (const { pid, ...rest } of rows.reverse()) {
          const p: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(rest)) {
            p[k] = v;
            if (k === 'table') p.table_for_pd = { col: ['x'] };
          }
          problems[String(pid)] = p;
        }
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, JSON.stringify(problems, null, 2));
      } else {
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, bytes);
      }
    }
    const zipUrl = manifest.files.find((f) => f.member)!.url;
    const zipTarget = join(mirror, zipUrl.replace(/^https:\/\//, ''));
    mkdirSync(dirname(zipTarget), { recursive: true });
    // the archive is made by python3's zipfile, an independent zip writer
    const made = spawnSync(
      'python3',
      [
        '-c',
        [
          'import os, sys, zipfile',
          'root, target = sys.argv[1], sys.argv[2]',
          'with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:',
          '    for d, _, fs in os.walk(root):',
          '        for f in fs: z.write(os.path.join(d, f), os.path.relpath(os.path.join(d, f), root))',
        ].join('\n'),
        zipped,
        zipTarget,
      ],
      { encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);

    server = createServer((req, res) => {
      const path = decodeURIComponent(req.url ?? '/');
      const n = (hits.get(path) ?? 0) + 1;
      hits.set(path, n);
      // the first request for the corpus fails as a flaky server would
      if (path.endsWith('/train.jsonl') && n === 1) {
        res.writeHead(503).end();
        return;
      }
      const file = join(mirror, path);
      if (!file.startsWith(mirror) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads, retries, unzips and converts into files that verify', async () => {
    const out = join(work, 'http-out');
    const summary = await fetchData({ manifest, out, mirror: base, download: { backoffMs: 10, timeoutMs: 30_000 } });
    expect(summary.failed).toEqual([]);
    expect(summary.fetched).toHaveLength(manifest.files.length);
    expect(verifyData(out, manifest).every((r) => r.status === 'ok')).toBe(true);
    const corpusPath = [...hits.keys()].find((p) => p.endsWith('/train.jsonl'))!;
    expect(hits.get(corpusPath)).toBe(2);
    // the archive is downloaded once for all its members
    const zipPath = [...hits.keys()].find((p) => p.endsWith('outputs.zip'))!;
    expect(hits.get(zipPath)).toBe(1);
  });

  it('fails with the URL and a hint to use --from when the source cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));

    const summary = await fetchData({
      manifest,
      out: join(work, 'offline'),
      mirror: `http://127.0.0.1:${port}`,
      only: ['sat_math', 'svamp'],
      download: { attempts: 2, backoffMs: 10, timeoutMs: 5000 },
    });
    expect(summary.failed.map((f) => f.path)).toEqual(['data/sat_math/test.jsonl', 'data/svamp/test.jsonl']);
    // the second file is not tried again against a host that just refused
    expect(summary.failed[1]!.error.message).toMatch(/skipped .* could not be reached before/);
    const err = summary.failed[0]?.error;
    expect(err).toBeInstanceOf(RhoError);
    expect(err!.message).toContain(`http://127.0.0.1:${port}/raw.githubusercontent.com/ZubinGou/math-evaluation-harness/`);
    expect(err!.message).toContain('after 2 attempt(s)');
    expect(err!.context.hint).toContain('--from');
    expect(existsSync(join(work, 'offline/data/sat_math/test.jsonl'))).toBe(false);
  });

  it('does not retry a 404 and names the URL', async () => {
    const before = hits.size;
    const summary = await fetchData({
      manifest: { files: [{ ...manifest.files.find((f) => f.group === 'sat_math')!, url: 'https://example.org/missing.jsonl' }] },
      out: join(work, 'notfound'),
      mirror: base,
      download: { backoffMs: 10 },
    });
    expect(summary.failed[0]!.error.message).toMatch(/HTTP 404 .*example\.org\/missing\.jsonl/);
    expect(hits.get('/example.org/missing.jsonl')).toBe(1);
    expect(hits.size).toBe(before + 1);
  });
});
