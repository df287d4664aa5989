/**
 * Nothing lost, nothing mixed, as a user meets it on the command line: another run's files on the
 * same --out are refused naming what differs; a second writer is refused while the first lives and
 * a dead one's lock is taken over; a bad journal line is named by its line number; `pnpm eval
 * score` fails on an empty file, a duplicated idx and an idx outside the dataset.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointFingerprint, encodeCheckedLine, LOCK_FILE, REPO_ROOT } from '@rho/core/base';
import { runIdentity } from '@rho/eval';
import { cli, DATA, NODE_TS } from './cli.ts';
import { tinyCheckpoint } from './tiny-checkpoint.ts';

const root = mkdtempSync(join(tmpdir(), 'guarantees-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const ckptA = join(root, 'ckptA');
const ckptB = join(root, 'ckptB');

const evalCli = (args: string[]) => cli('eval', [...args, '--data-dir', DATA]);
const base = (ckpt: string, out: string, ...more: string[]) => ['cot', ckpt, '--data', 'gsm8k', '--limit', '3', '--max-tokens', '6', '--out', out, ...more];
const NAME = 'test_cot_3_seed0_t0.0_s0_e-1';

beforeAll(async () => {
  const { tokenizer } = await tinyCheckpoint(root, ckptA, { problems: 200, maxPositions: 256 });
  // the same architecture and tokenizer, other weights: only the fingerprint tells them apart
  const r = await cli('core', ['init', '--config', join(root, 'config.json'), '--tokenizer', tokenizer, '--out', ckptB, '--seed', '4']);
  expect(r.status, r.stderr).toBe(0);
}, 600_000);

describe('run identity: another run on the same --out is refused, naming the field', () => {
  it('another checkpoint, other sampling settings, another prompt type; --overwrite replaces', async () => {
    const out = join(root, 'identity');
    let r = await evalCli(base(ckptA, out));
    expect(r.status, r.stderr).toBe(0);
    const metrics = () => JSON.parse(readFileSync(join(out, 'gsm8k', `${NAME}_cot_metrics.json`), 'utf8'));
    expect(metrics().identity).toMatchObject({
      model: { kind: 'checkpoint', fingerprint: checkpointFingerprint(ckptA) },
      prompt_type: 'cot',
      few_shot: { count: 8 },
      sampling: { temperature: 0, max_tokens: 6 },
    });
    const outputs = readFileSync(join(out, 'gsm8k', `${NAME}.jsonl`), 'utf8');

    r = await evalCli(base(ckptB, out));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /\(model\.fingerprint\): the output was produced by another run: model\.fingerprint is "sha256:[0-9a-f]+" there, "sha256:[0-9a-f]+" here/,
    );
    r = await evalCli(base(ckptA, out, '--max-tokens', '7'));
    expect(r.stderr).toMatch(/sampling\.max_tokens is 6 there, 7 here/);
    // the harness's file name keeps one decimal of the temperature: 0.04 is "t0.0", the same file
    r = await evalCli(base(ckptA, out, '--temperature', '0.04'));
    expect(r.stderr).toMatch(/sampling\.temperature is 0 there, 0\.04 here/);
    expect(readFileSync(join(out, 'gsm8k', `${NAME}.jsonl`), 'utf8')).toBe(outputs);

    // the file name holds the prompt type, so two prompt types meet only in files renamed by hand
    const tora = join(root, 'identity-tora', 'gsm8k');
    mkdirSync(tora, { recursive: true });
    cpSync(join(out, 'gsm8k', `${NAME}.jsonl`), join(tora, 'test_tora_3_seed0_t0.0_s0_e-1.jsonl'));
    cpSync(join(out, 'gsm8k', `${NAME}_cot_metrics.json`), join(tora, 'test_tora_3_seed0_t0.0_s0_e-1_tora_metrics.json'));
    r = await evalCli(['tora', ckptA, '--data', 'gsm8k', '--limit', '3', '--max-tokens', '6', '--out', join(root, 'identity-tora')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/prompt_type is "cot" there, "tora" here/);

    r = await evalCli(base(ckptB, out, '--overwrite'));
    expect(r.status, r.stderr).toBe(0);
    expect(metrics().identity.model.fingerprint).toBe(checkpointFingerprint(ckptB));
  });

  it('a journal of another run is refused too, before anything is generated', async () => {
    const out = join(root, 'identity-journal');
    const journal = join(out, 'gsm8k', `.${NAME}.jsonl.partial`);
    mkdirSync(join(out, 'gsm8k'), { recursive: true });
    const identity = runIdentity(
      { data: 'gsm8k', dataDir: DATA, promptType: 'cot', temperature: 0, topP: 1, nSampling: 1, seed: 0, maxTokens: 6 },
      { kind: 'checkpoint', fingerprint: checkpointFingerprint(ckptA) },
    );
    writeFileSync(journal, encodeCheckedLine({ kind: 'identity', identity }) + encodeCheckedLine({ kind: 'sample', idx: 0, code: ['x'] }));
    const r = await evalCli(base(ckptB, out));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\.partial \(model\.fingerprint\): the output was produced by another run/);
    expect(readdirSync(join(out, 'gsm8k'))).toEqual([`.${NAME}.jsonl.partial`]);
  });
});

describe('one writer per output directory', () => {
  it('a second run is refused while the first lives; the lock of a killed one is taken over with a warning', async () => {
    const out = join(root, 'locked');
    // long enough to be caught running: tfjs, one problem at a time
    const child = spawn(
      process.execPath,
      [
        ...NODE_TS,
        resolve(REPO_ROOT, 'packages/eval/src/cli/main.ts'),
        ...base(ckptA, out, '--limit', '200', '--max-tokens', '40', '--engine', 'tfjs', '--batch-size', '1'),
        '--data-dir',
        DATA,
      ],
      {
        cwd: REPO_ROOT,
        detached: true,
        stdio: 'ignore',
      },
    );
    let gone = false;
    const exited = new Promise<void>((r) => child.on('exit', () => ((gone = true), r())));
    while (!existsSync(join(out, LOCK_FILE)) && !gone) await new Promise((r) => setTimeout(r, 50));
    const lock = JSON.parse(readFileSync(join(out, LOCK_FILE), 'utf8'));
    expect(lock.pid).toBe(child.pid);

    let r = await evalCli(base(ckptA, out, '--limit', '200', '--max-tokens', '40'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`another run \\(pid ${child.pid}, started [^)]+\\) is writing this output directory`));

    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    expect(existsSync(join(out, LOCK_FILE))).toBe(true); // a killed process cannot clean up
    // nor remove a temporary it was about to rename into place: the next run on this output does
    mkdirSync(join(out, 'gsm8k'), { recursive: true });
    const stray = join(out, 'gsm8k', `.${NAME}.jsonl.${child.pid}.k3x.tmp`);
    writeFileSync(stray, '{"half": ');
    r = await evalCli(base(ckptA, out, '--limit', '2'));
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(stray)).toBe(false);
    expect(r.stderr).toMatch(new RegExp(`warning: taking over the lock of .* left by pid ${child.pid} \\(started`));
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });
});

describe('checked journals', () => {
  it('a bad line is an error naming file and line; --repair drops it and the problem is run again', async () => {
    const clean = join(root, 'journal-clean');
    let r = await evalCli(base(ckptA, clean));
    expect(r.status, r.stderr).toBe(0);
    const expected = readFileSync(join(clean, 'gsm8k', `${NAME}.jsonl`), 'utf8');
    const codes = expected
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).code as string[]);

    // the journal a killed run leaves: its identity, then two finished problems
    const out = join(root, 'journal-bad');
    const journal = join(out, 'gsm8k', `.${NAME}.jsonl.partial`);
    mkdirSync(join(out, 'gsm8k'), { recursive: true });
    const identity = runIdentity(
      { data: 'gsm8k', dataDir: DATA, promptType: 'cot', temperature: 0, topP: 1, nSampling: 1, seed: 0, maxTokens: 6 },
      { kind: 'checkpoint', fingerprint: checkpointFingerprint(ckptA) },
    );
    const lines = [
      encodeCheckedLine({ kind: 'identity', identity }),
      encodeCheckedLine({ kind: 'sample', idx: 0, code: codes[0]! }),
      encodeCheckedLine({ kind: 'sample', idx: 1, code: codes[1]! }),
    ];
    // the line: "code": null and a "pred" the run never writes, checksum and all
    writeFileSync(journal, lines[0]! + encodeCheckedLine({ kind: 'sample', idx: 1, code: null, pred: { x: 1 } }) + lines[2]!);
    r = await evalCli(base(ckptA, out));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${journal}:2: bad journal line 2: `);
    expect(existsSync(join(out, 'gsm8k', `${NAME}.jsonl`))).toBe(false);

    // a line changed by hand fails its checksum
    writeFileSync(journal, lines[0]! + lines[1]!.replace(/"code":\[.*\]/, '"code":["The answer is 42."]') + lines[2]!);
    r = await evalCli(base(ckptA, out));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${journal}:2: bad journal line 2: checksum mismatch`);
    expect(r.stderr).toMatch(/hint: rerun with --repair/);

    r = await evalCli(base(ckptA, out, '--repair'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: ${journal}:2: dropped a bad journal line (checksum mismatch`);
    expect(readFileSync(join(out, 'gsm8k', `${NAME}.jsonl`), 'utf8')).toBe(expected);
    expect(existsSync(journal)).toBe(false);
  });

  it('a torn last line (a kill mid-write) is dropped quietly and made again', async () => {
    const clean = join(root, 'journal-clean');
    const expected = readFileSync(join(clean, 'gsm8k', `${NAME}.jsonl`), 'utf8');
    const code0 = JSON.parse(expected.split('\n')[0]!).code as string[];
    const out = join(root, 'journal-torn');
    const journal = join(out, 'gsm8k', `.${NAME}.jsonl.partial`);
    mkdirSync(join(out, 'gsm8k'), { recursive: true });
    const identity = runIdentity(
      { data: 'gsm8k', dataDir: DATA, promptType: 'cot', temperature: 0, topP: 1, nSampling: 1, seed: 0, maxTokens: 6 },
      { kind: 'checkpoint', fingerprint: checkpointFingerprint(ckptA) },
    );
    writeFileSync(
      journal,
      encodeCheckedLine({ kind: 'identity', identity }) +
        encodeCheckedLine({ kind: 'sample', idx: 0, code: code0 }) +
        encodeCheckedLine({ kind: 'sample', idx: 1, code: ['cut'] }).slice(0, 30),
    );
    const r = await evalCli(base(ckptA, out));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/journal|dropped|lock/);
    expect(readFileSync(join(out, 'gsm8k', `${NAME}.jsonl`), 'utf8')).toBe(expected);
  });
});

describe('pnpm eval score: strict input', () => {
  const data = join(root, 'score', 'm', 'gsm8k');
  const file = join(data, 'test_cot_-1_seed0_t0.0_s0_e-1.jsonl');
  const sample = (idx: number, code: string) => JSON.stringify({ idx, code: [code] });
  const score = (...more: string[]) => evalCli(['score', file, '--out', join(root, 'score-out'), ...more]);
  beforeAll(() => mkdirSync(data, { recursive: true }));

  it('an empty file fails, naming it', async () => {
    writeFileSync(file, '');
    const r = await score();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:1: no samples: the outputs file is empty`);
    expect(existsSync(join(root, 'score-out'))).toBe(false);
  });

  it('a duplicated idx fails naming both lines; --dedupe first|last keeps one on purpose', async () => {
    writeFileSync(file, `${[sample(0, 'The answer is 18.'), sample(1, 'The answer is 3.'), sample(0, 'The answer is 5.')].join('\n')}\n`);
    let r = await score();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:3 (idx): idx 0 on line 3 was already on line 1`);
    expect(r.stderr).toMatch(/--dedupe first or --dedupe last/);
    r = await score('--dedupe', 'first');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/acc\s+100\.0\s+samples 2/);
    r = await score('--dedupe', 'last');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/acc\s+50\.0\s+samples 2/);
  });

  it('an idx that is not in the dataset fails, naming the line', async () => {
    writeFileSync(file, `${[sample(0, 'The answer is 18.'), sample(999_999, 'The answer is 3.')].join('\n')}\n`);
    const r = await score();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:2 (idx): idx 999999 on line 2 is not a problem of gsm8k`);
  });

  it('one bad file among good ones: non-zero exit, nothing written', async () => {
    const good = join(root, 'score', 'm', 'svamp');
    mkdirSync(good, { recursive: true });
    writeFileSync(join(good, 'test_cot_-1_seed0_t0.0_s0_e-1.jsonl'), `${sample(0, 'The answer is 1.')}\n`);
    writeFileSync(file, '\n');
    rmSync(join(root, 'score-out'), { recursive: true, force: true });
    const r = await evalCli(['score', join(root, 'score'), '--out', join(root, 'score-out')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no samples: the outputs file is empty');
    expect(existsSync(join(root, 'score-out'))).toBe(false);
  });
});
