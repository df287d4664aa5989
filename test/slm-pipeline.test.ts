/**
 * slm end to end through its CLI, with real files and real processes: prepare, a reference run,
 * score, slm training; score and train killed with SIGKILL and restarted end exactly where an
 * uninterrupted run ends; bad input fails before any training.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { injectNoise, DEFAULT_NOISE } from '@rho/slm';
import { BYTE_LLAMA_CONFIG } from './tiny-checkpoint.ts';
import { cli, DATA, NODE_TS } from './cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'slm-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const p = (...xs: string[]) => join(tmp, ...xs);

async function ok(args: string[], pkg: 'slm' | 'core' = 'slm'): Promise<string> {
  const r = await cli(pkg, args);
  if (r.status !== 0) throw new Error(`${pkg} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/**
 * Start a command in its own process group, SIGKILL the group once `ready()` holds, wait for it to
 * die. One process (node with tsx's loader, not tsx's launcher, which forks the real run as a child
 * of its own): its exit event then means the writer is dead and reaped, not orphaned mid-exit.
 * The run gets the lowest CPU priority (`nice` execs it, so the pid stays the group's): on a loaded
 * CI machine the poller must wake before the run has finished, and a step of the tiny model takes
 * a few milliseconds.
 */
async function killWhen(args: string[], ready: () => boolean): Promise<void> {
  const command = [process.execPath, ...NODE_TS, resolve(REPO_ROOT, 'packages/slm/src/cli/main.ts'), ...args];
  const child = spawn('nice', ['-n', '19', ...command], { detached: true, stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let done = false;
  void exited.then(() => (done = true));
  while (!ready() && !done) await new Promise((r) => setTimeout(r, 10));
  expect(done, 'the run finished before it could be killed').toBe(false);
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
}

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
const lossesOf = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>)
    .map((r) => [r.step, r.loss, r.loss_all, r.loss_selected, r.selected_frac, r.val_loss ?? null]);

const TRAIN = ['--seq-len', '32', '--batch-size', '4', '--lr', '0.003', '--warmup-steps', '2', '--eval-every', '3', '--eval-windows', '8'];

describe('slm pipeline (CLI)', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    const gsm = readFileSync(join(DATA, 'corpus/gsm8k-train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { question: string; answer: string });
    const text = (r: { question: string; answer: string }) => `${r.question}\n${r.answer}`;
    writeFileSync(p('ref.jsonl'), jsonl(gsm.slice(0, 40)));
    writeFileSync(p('val.jsonl'), jsonl(gsm.slice(40, 52)));
    writeFileSync(p('val-text.jsonl'), jsonl(gsm.slice(40, 52).map((r) => ({ text: text(r) }))));
    writeFileSync(
      p('noisy.jsonl'),
      jsonl(
        gsm.slice(60, 100).map((r, i) => {
          const d = injectNoise(text(r), DEFAULT_NOISE, i);
          return { text: d.text, noise_spans: d.noise };
        }),
      ),
    );
    writeFileSync(p('config.json'), JSON.stringify(BYTE_LLAMA_CONFIG));
    await ok(['prepare', '--input', p('ref.jsonl'), '--field', 'question,answer', '--val', p('val.jsonl'), '--tokenizer', 'bytes', '--out', p('corpus-ref')]);
    await ok(['prepare', '--input', p('noisy.jsonl'), '--field', 'text', '--val', p('val-text.jsonl'), '--tokenizer', 'bytes', '--out', p('corpus-noisy')]);
    await ok(['init', '--config', p('config.json'), '--out', p('init'), '--seed', '1'], 'core');
    await ok([
      'train',
      '--mode',
      'clm',
      '--init',
      p('init'),
      '--corpus',
      p('corpus-ref'),
      '--out',
      p('ref'),
      '--steps',
      '8',
      '--checkpoint-every',
      '8',
      ...TRAIN,
    ]);
  });

  it('prepare wrote both splits with noise flags for the noisy corpus', () => {
    const meta = JSON.parse(readFileSync(p('corpus-noisy/meta.json'), 'utf8'));
    expect(meta.splits.train.docs).toBe(40);
    expect(meta.splits.val.docs).toBe(12);
    expect(meta.splits.train.noise).toBe(true);
    const flags = readFileSync(p('corpus-noisy/train.noise'));
    expect(flags.length).toBe(meta.splits.train.tokens);
    const share = flags.reduce((n, b) => n + b, 0) / flags.length;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.45);
  });

  it('score killed with SIGKILL and restarted ends with the same files as an uninterrupted run', async () => {
    const args = (out: string) => [
      'score',
      '--ref',
      p('ref/checkpoints/step-00000008'),
      '--corpus',
      p('corpus-noisy'),
      '--out',
      out,
      '--seq-len',
      '32',
      '--batch-size',
      '2',
      '--shard-windows',
      '2',
    ];
    await ok(args(p('scores')));
    const shards = () => (existsSync(p('scores-cut')) ? readdirSync(p('scores-cut')).filter((f) => f.endsWith('.f16')).length : 0);
    await killWhen(args(p('scores-cut')), () => shards() >= 2);
    const total = readdirSync(p('scores')).filter((f) => f.endsWith('.f16')).length;
    expect(shards()).toBeLessThan(total);
    await ok(args(p('scores-cut')));
    for (const f of readdirSync(p('scores'))) expect(readFileSync(p('scores-cut', f)), f).toEqual(readFileSync(p('scores', f)));
  });

  it('slm training killed with SIGKILL and restarted continues from its checkpoint with identical losses', async () => {
    const args = (out: string) => [
      'train',
      '--mode',
      'slm',
      '--ratio',
      '0.6',
      '--init',
      p('init'),
      '--corpus',
      p('corpus-noisy'),
      '--ref-scores',
      p('scores'),
      '--out',
      out,
      '--steps',
      '48',
      '--checkpoint-every',
      '3',
      ...TRAIN,
    ];
    const full = await ok(args(p('slm')));
    expect(full).toMatch(/slm: step 48/);
    // Killed after its first checkpoint, anywhere before its last: 45 steps of slack for the poller.
    await killWhen(args(p('slm-cut')), () => existsSync(p('slm-cut/checkpoints/step-00000003')));
    const resumed = await ok(args(p('slm-cut')));
    const from = Number(/resumed from step (\d+)/.exec(resumed)?.[1]);
    expect(from % 3, resumed).toBe(0);
    expect(from).toBeGreaterThanOrEqual(3);
    expect(from).toBeLessThan(48);
    expect(lossesOf(p('slm-cut'))).toEqual(lossesOf(p('slm')));
    const a = readFileSync(p('slm/checkpoints/step-00000048/model.safetensors'));
    expect(readFileSync(p('slm-cut/checkpoints/step-00000048/model.safetensors')).equals(a)).toBe(true);
    const rows = readFileSync(p('slm/metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const r of rows) {
      for (const k of ['loss_all', 'loss_selected', 'selected_frac', 'excess_mean', 'lr', 'tokens_per_s', 'noise', 'rejected_noise'])
        expect(Number.isFinite(r[k]), k).toBe(true);
    }
  });

  it('rejects bad input with clear errors before any training', async () => {
    const base = ['train', '--init', p('init'), '--corpus', p('corpus-noisy'), '--steps', '2', ...TRAIN];
    const bad = async (args: string[], pattern: RegExp) => {
      const r = await cli('slm', args);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/internal error/);
    };
    await bad([...base, '--mode', 'slm', '--ref-scores', p('scores'), '--ratio', '0', '--out', p('bad1')], /ratio must be in \(0, 1\]/);
    // Scores of the noisy corpus used with the reference corpus: lengths differ.
    await bad(
      ['train', '--init', p('init'), '--corpus', p('corpus-ref'), '--steps', '2', ...TRAIN, '--mode', 'slm', '--ref-scores', p('scores'), '--out', p('bad3')],
      /scores cover \d+ tokens but the corpus split has \d+/,
    );
    expect(existsSync(p('bad3/checkpoints'))).toBe(false);
    writeFileSync(p('nofield.jsonl'), jsonl([{ text: 'a' }, { body: 'b' }]));
    await bad(
      ['prepare', '--input', p('nofield.jsonl'), '--tokenizer', 'bytes', '--out', p('bad5')],
      /nofield\.jsonl:2 \(text\): record has no text field "text"/,
    );
  });
});
