/**
 * `pnpm demo` end to end on the smoke recipe: real training on disk, the real Python sandbox for
 * tora, the real harness. Every checkpoint it writes evaluates with `pnpm eval --data arith` and
 * serves over HTTP; a rerun resumes; a corrupt checkpoint is a clear error, and once removed the run
 * resumes to the same figures.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { cli, DATA, NODE_TS, run, type CliResult } from './cli.ts';
import { serveOnce } from './serve.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rho-demo-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SMOKE = resolve(REPO_ROOT, 'data/gates/smoke.json');
const demo = (args: string[]) => run(process.execPath, [...NODE_TS, resolve(REPO_ROOT, 'scripts/demo.ts'), ...args], { env: { RHO_DATA_DIR: DATA } });
const lastJson = (r: CliResult) =>
  JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { run_dir: string; models: Record<string, Record<string, number | string | null>> };
const figures = (j: ReturnType<typeof lastJson>) =>
  Object.fromEntries(Object.entries(j.models).map(([m, x]) => [m, { tokens: x.tokens, val_loss: x.val_loss, cot_acc: x.cot_acc, tora_acc: x.tora_acc }]));
const checkpointsOf = (runDir: string) =>
  ['reference', 'clm', 'slm'].flatMap((r) =>
    readdirSync(join(runDir, 'runs', r, 'checkpoints'))
      .sort()
      .map((n) => join(runDir, 'runs', r, 'checkpoints', n)),
  );

describe('pnpm demo (smoke recipe)', { timeout: 600_000 }, () => {
  const out = join(tmp, 'demo');
  let first: ReturnType<typeof lastJson>;

  it('prints the table and one JSON object; every checkpoint evaluates on arith and serves', async () => {
    const r = await demo(['--recipe', SMOKE, '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/model\s+tokens\s+val loss\s+cot acc\s+tora acc\s+time/);
    expect(r.stderr).toMatch(/train clm \d+\/30/); // progress, also when stderr is not a terminal
    first = lastJson(r);
    expect(first.run_dir).toBe(out);
    for (const m of ['reference', 'clm', 'slm']) {
      const x = first.models[m]!;
      expect(x.tokens as number).toBeGreaterThan(10_000);
      expect(Number.isFinite(x.val_loss)).toBe(true);
      for (const k of ['cot_acc', 'tora_acc']) expect(x[k] as number).toBeGreaterThanOrEqual(0), expect(x[k] as number).toBeLessThanOrEqual(100);
      expect(x.seconds as number).toBeGreaterThan(0);
      expect(r.stdout).toContain(x.checkpoint as string);
    }
    // The accuracies are the harness's: re-scoring the written outputs recomputes them.
    const rescored = await cli('eval', ['score', join(out, 'eval', 'slm'), '--out', join(tmp, 'rescored'), '--data-dir', join(out, 'benchmark')]);
    expect(rescored.status, rescored.stderr).toBe(0);
    expect(rescored.stdout).toMatch(new RegExp(`arith\\s+cot\\s+acc\\s+${(first.models.slm!.cot_acc as number).toFixed(1)}`));
    expect(rescored.stdout).toMatch(new RegExp(`arith\\s+tora\\s+acc\\s+${(first.models.slm!.tora_acc as number).toFixed(1)}`));

    const ckpts = [join(out, 'init'), ...checkpointsOf(out)];
    expect(ckpts.length).toBeGreaterThanOrEqual(4);
    for (const ckpt of ckpts) {
      const e = await cli('eval', [
        'cot',
        ckpt,
        '--data',
        'arith',
        '--limit',
        '5',
        '--max-tokens',
        '16',
        '--out',
        join(tmp, 'eval-each', ckpt.replaceAll('/', '_')),
      ]);
      expect(e.status, `${ckpt}\n${e.stderr}`).toBe(0);
      expect(e.stdout).toMatch(/arith\s+5\s/);
    }
    for (const ckpt of ckpts) {
      const served = await serveOnce(ckpt, 'Question: Tom has 3 apples. He buys 2 more apples. How many apples does Tom have now?\nAnswer:');
      expect(served.status, ckpt).toBe(200);
      expect(served.text.length, ckpt).toBeGreaterThan(0);
    }
  });

  it('a rerun resumes: nothing is trained or generated again, the figures are the same', async () => {
    const r = await demo(['--recipe', SMOKE, '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/train clm \d+\/30/);
    expect(figures(lastJson(r))).toEqual(figures(first));
  });

  it('a kill mid-run, then a corrupt checkpoint: a clear error naming the file; without it the run resumes to the same figures', async () => {
    // the smoke recipe with a checkpoint every 10 steps, so a killed run has something to resume from
    const recipe = JSON.parse(readFileSync(SMOKE, 'utf8'));
    for (const r of ['reference', 'train']) recipe.preset[r].checkpointEvery = 10;
    const file = join(tmp, 'every10.json');
    writeFileSync(file, JSON.stringify(recipe));
    const dir = join(tmp, 'killed');
    const child = spawn(process.execPath, [...NODE_TS, resolve(REPO_ROOT, 'scripts/demo.ts'), '--recipe', file, '--out', dir], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    });
    const clmCkpts = join(dir, 'runs', 'clm', 'checkpoints');
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    const killed = await new Promise<boolean>((res) => {
      const t = setInterval(() => {
        if (existsSync(clmCkpts) && readdirSync(clmCkpts).some((n) => /^step-\d+$/.test(n))) {
          clearInterval(t);
          res(child.kill('SIGKILL'));
        }
      }, 50);
      void exited.then(() => (clearInterval(t), res(false)));
    });
    expect(killed, 'the demo finished before it could be killed').toBe(true);
    await exited;
    const newest = readdirSync(clmCkpts)
      .filter((n) => /^step-\d+$/.test(n))
      .sort()
      .at(-1)!;
    const weights = join(clmCkpts, newest, 'model.safetensors');
    truncateSync(weights, 100);

    const broken = await demo(['--recipe', file, '--out', dir]);
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toContain(weights);
    expect(broken.stderr).not.toMatch(/internal error/);

    rmSync(join(clmCkpts, newest), { recursive: true });
    const resumed = await demo(['--recipe', file, '--out', dir, '--json']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(figures(lastJson(resumed))).toEqual(figures(first));
  });
});
