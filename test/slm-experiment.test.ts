/**
 * `pnpm slm experiment --preset smoke` end to end (prepare, reference, score, clm, slm), then
 * `pnpm slm report` on its runs, opened in headless Chromium: the charts and the highlighted text
 * must have rendered (laid-out SVG paths, shaded and selected token spans); a screenshot is kept
 * in runs/test-artifacts/. Its byte-level checkpoints must each be usable on their own, by
 * `pnpm eval` included.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { initBackend, loadCheckpoint, Tokenizer } from '@rho/core';
import { LocalCheckpointModel, openModel } from '@rho/eval';
import { ByteTokenizer } from '@rho/slm';
import { cli, DATA, run, type CliResult } from './cli.ts';
import { serveOnce } from './serve.ts';

const tmp = mkdtempSync(join(tmpdir(), 'slm-exp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars'];

/** Runs in the page after layout and appends what it saw as JSON in <pre id="probe">. */
const PROBE = `window.addEventListener('load', () => {
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const out = {
    charts: [...document.querySelectorAll('figure.chart svg')].filter(visible).length,
    paths: [...document.querySelectorAll('figure.chart svg path')].filter((p) => (p.getAttribute('d') || '').length > 0 && visible(p)).length,
    valLines: [...document.querySelectorAll('#val-chart svg path')].filter((p) => (p.getAttribute('d') || '').length > 20 && visible(p)).length,
    selected: [...document.querySelectorAll('span.tok.sel')].filter(visible).length,
    shaded: [...document.querySelectorAll('span.tok')].filter((s) => visible(s) && getComputedStyle(s).backgroundColor !== 'rgba(0, 0, 0, 0)').length,
    categoryRows: document.querySelectorAll('#categories tbody tr').length,
  };
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});`;

describe('slm experiment --preset smoke', { timeout: 600_000 }, () => {
  const out = join(tmp, 'exp');
  // one run for every test below, whichever of them runs first (or alone)
  let experiment: Promise<CliResult> | undefined;
  const runExperiment = () => (experiment ??= cli('slm', ['experiment', '--preset', 'smoke', '--out', out, '--data-dir', DATA, '--no-report', '--json']));

  it('prints the figures, and its report renders in Chromium', async () => {
    const r = await runExperiment();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/clm final val loss/);
    expect(r.stdout).toMatch(/noise rejection precision/);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number | null>;
    for (const k of ['reference_val_loss', 'clm_val_loss', 'slm_val_loss', 'noise_precision', 'noise_recall', 'noise_share'])
      expect(Number.isFinite(res[k]), k).toBe(true);
    // Byte-level models start near ln(258) ≈ 5.55; 60 steps must have learned something.
    for (const k of ['reference_val_loss', 'clm_val_loss', 'slm_val_loss']) expect(res[k]!).toBeLessThan(4.5);
    for (const k of ['noise_precision', 'noise_recall']) expect(res[k]!).toBeGreaterThanOrEqual(0), expect(res[k]!).toBeLessThanOrEqual(1);
    expect(res.noise_share!).toBeGreaterThan(0.2);

    const html = join(tmp, 'report.html');
    const rep = await cli('slm', ['report', join(out, 'runs/reference'), join(out, 'runs/clm'), join(out, 'runs/slm'), '--out', html]);
    expect(rep.status, rep.stderr).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained: nothing to run, nothing fetched

    expect(CHROMIUM, 'headless Chromium is needed (Debian package chromium)').toBeDefined();
    const probeFile = join(tmp, 'probe.html');
    writeFileSync(probeFile, page.replace('</body>', `<script>${PROBE}</script></body>`));
    const dom = await run(CHROMIUM!, [...FLAGS, '--dump-dom', `file://${probeFile}`]);
    const m = /<pre id="probe">([^<]*)<\/pre>/.exec(dom.stdout);
    expect(m, dom.stderr).not.toBeNull();
    const seen = JSON.parse(m![1]!) as Record<string, number>;
    expect(seen.charts).toBeGreaterThanOrEqual(5); // two curve charts + one category chart per run
    expect(seen.valLines).toBeGreaterThanOrEqual(3); // one validation curve per run
    expect(seen.paths).toBeGreaterThan(20);
    expect(seen.selected).toBeGreaterThan(50);
    expect(seen.shaded).toBeGreaterThan(100);
    expect(seen.categoryRows).toBe(12);

    const shot = join(tmp, 'report.png');
    const s = await run(CHROMIUM!, [...FLAGS, '--window-size=1200,2600', `--screenshot=${shot}`, `file://${html}`]);
    expect(existsSync(shot), s.stderr).toBe(true);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    const keep = resolve(REPO_ROOT, 'runs/test-artifacts');
    mkdirSync(keep, { recursive: true });
    copyFileSync(shot, join(keep, 'slm-report.png'));
  });
  it('every checkpoint carries a tokenizer.json that encodes as the byte tokenizer, and pnpm eval runs one', async () => {
    const r = await runExperiment();
    expect(r.status, r.stderr).toBe(0);
    const ckpts = (run: string) =>
      readdirSync(join(out, 'runs', run, 'checkpoints'))
        .sort()
        .map((n) => join(out, 'runs', run, 'checkpoints', n));
    const dirs = [join(out, 'init'), ...ckpts('reference'), ...ckpts('clm'), ...ckpts('slm')];
    expect(dirs.length).toBeGreaterThan(6);
    const text = 'Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 72 qzx#%&@~^|{}<> café 中文 🙂';
    const bytes = new ByteTokenizer();
    await initBackend();
    for (const dir of dirs) {
      expect(existsSync(join(dir, 'tokenizer.json')), dir).toBe(true);
      const { model, tokenizerPath } = await loadCheckpoint(dir);
      model.dispose();
      const tok = Tokenizer.fromFile(tokenizerPath!);
      expect(tok.encode(text, { addBos: false, addEos: false }), dir).toEqual(bytes.encode(text));
      expect(tok.decode(bytes.encode(text, { addBos: true }), { skipSpecial: true })).toBe(text);
    }

    const final = ckpts('slm').at(-1)!;
    const model = await openModel([final]);
    try {
      expect(model).toBeInstanceOf(LocalCheckpointModel);
      // the model sees <s> before the text, as every training document began
      expect((model as LocalCheckpointModel).encode(text)).toEqual(bytes.encode(text, { addBos: true }));
    } finally {
      await model.dispose?.();
    }

    // every checkpoint evaluates on the built-in benchmark as it is, and serves
    for (const dir of dirs) {
      const evalOut = join(tmp, 'eval', dir.replaceAll('/', '_'));
      const e = await cli('eval', ['cot', dir, '--data', 'arith', '--limit', '5', '--max-tokens', '8', '--out', evalOut]);
      expect(e.status, `${dir}\n${e.stderr}`).toBe(0);
      const rows = readFileSync(join(evalOut, 'arith', 'test_cot_5_seed0_t0.0_s0_e-1.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean);
      expect(rows).toHaveLength(5);
    }
    for (const dir of dirs) {
      const served = await serveOnce(dir, 'Question: Tom has 3 apples.');
      expect(served.status, dir).toBe(200);
      expect(served.text.length, dir).toBeGreaterThan(0);
    }
  });
});
