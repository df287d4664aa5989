import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpointTensors, writeCheckpointTensors } from '../safetensors/sharded.ts';
import { checkConfigFitsInMemory, checkFitsInMemory, planCheckpoint } from './checkpoint-plan.ts';
import { makeConfig } from '../config/llama-config.ts';
import { loadEngineApi } from './native-api.ts';
import { openNativeLm, resolveEnginePrecision } from './native-lm.ts';
import { argmax } from '../generate/sampling.ts';

const FIXTURES = resolve(__dirname, '../../../../../shared/fixtures');
const have = existsSync(FIXTURES);
// In CI the addon is built (the Debian packages are installed first); elsewhere its absence skips.
const run = (loadEngineApi().ok || process.env.CI) && have ? describe : describe.skip;

interface Expected {
  input_ids: number[][];
  logits: number[][][];
  bf16_logits: number[][][];
  greedy: { prompt: number[]; max_new_tokens: number; output: number[] };
  tolerance: { logits_abs: number; bf16_logits_abs: number };
}

function maxDiff(got: Float32Array[], want: number[][][]): { err: number; scale: number } {
  let err = 0;
  let scale = 0;
  want.forEach((rows, b) =>
    rows.forEach((row, t) =>
      row.forEach((x, i) => {
        err = Math.max(err, Math.abs(got[b]![t * row.length + i]! - x));
        scale = Math.max(scale, Math.abs(x));
      }),
    ),
  );
  return { err, scale };
}

const CASES = ['tiny-llama', 'tiny-llama/bf16', 'tiny-mistral', 'tiny-mistral/bf16'];

/** Top-2 logit margin at each position of `ids`, FP32 arithmetic over the checkpoint's weights. */
async function referenceMargins(dir: string, ids: number[]): Promise<number[]> {
  const { lm } = await openNativeLm(dir, { precision: 'fp32' });
  try {
    const [logits] = lm.logits([ids]);
    const v = lm.config.vocabSize;
    return ids.map((_, t) => {
      const row = Array.from(logits!.subarray(t * v, (t + 1) * v)).sort((a, b) => b - a);
      return row[0]! - row[1]!;
    });
  } finally {
    lm.dispose();
  }
}

run('native engine on the PyTorch fixtures', () => {
  it.each(CASES)('%s: fp32 arithmetic reproduces the logits within the fixture tolerance and the greedy tokens', async (name) => {
    const dir = join(FIXTURES, name);
    const bf16 = name.endsWith('bf16');
    const exp = JSON.parse(readFileSync(join(FIXTURES, name.replace(/\/bf16$/, ''), 'expected.json'), 'utf8')) as Expected;
    const { lm, weightDtype } = await openNativeLm(dir, { precision: 'fp32' });
    try {
      expect(weightDtype).toBe(bf16 ? 'BF16' : 'F32');
      const { err, scale } = maxDiff(lm.logits(exp.input_ids), bf16 ? exp.bf16_logits : exp.logits);
      expect(scale).toBeGreaterThan(0.1);
      expect(err).toBeLessThanOrEqual(bf16 ? exp.tolerance.bf16_logits_abs : exp.tolerance.logits_abs);
      const greedyFile = join(dir, 'greedy.json');
      const want = (bf16 && existsSync(greedyFile) ? (JSON.parse(readFileSync(greedyFile, 'utf8')) as Expected['greedy']) : exp.greedy).output.slice(
        exp.greedy.prompt.length,
      );
      const got = lm.generate([exp.greedy.prompt], { maxNewTokens: exp.greedy.max_new_tokens, eosId: null }).tokens[0];
      expect(got).toEqual(want);
      // token losses agree with the logits they come from
      const losses = lm.tokenLosses(exp.input_ids);
      expect(losses[0]!.length).toBe(exp.input_ids[0]!.length - 1);
      expect(losses.flatMap((l) => [...l]).every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    } finally {
      lm.dispose();
    }
  });

  it.each(CASES)('%s: bf16 arithmetic stays within BF16 rounding of the reference and keeps the greedy tokens', async (name) => {
    if (resolveEnginePrecision('auto', () => {}) !== 'bf16') return; // no BF16 instructions here: nothing to compare
    const dir = join(FIXTURES, name);
    const bf16 = name.endsWith('bf16');
    const exp = JSON.parse(readFileSync(join(FIXTURES, name.replace(/\/bf16$/, ''), 'expected.json'), 'utf8')) as Expected;
    const { lm } = await openNativeLm(dir, { precision: 'bf16' });
    try {
      expect(lm.precision).toBe('bf16');
      const { err, scale } = maxDiff(lm.logits(exp.input_ids), bf16 ? exp.bf16_logits : exp.logits);
      // activations rounded to 8 significant bits before each product: errors of a few 1e-2 on logits of order 1
      expect(err).toBeGreaterThan(0);
      expect(err).toBeLessThan(0.05 * Math.max(1, scale) + 0.05);
      const greedyFile = join(dir, 'greedy.json');
      const want = (bf16 && existsSync(greedyFile) ? (JSON.parse(readFileSync(greedyFile, 'utf8')) as Expected['greedy']) : exp.greedy).output.slice(
        exp.greedy.prompt.length,
      );
      // Near-ties (top-2 margin under 0.01 with FP32 arithmetic over the same weights) may resolve
      // either way once activations are rounded to BF16: every other step must pick the reference's
      // token, decoding along the reference continuation through the same cache and kernels as generate.
      const margins = await referenceMargins(dir, [...exp.greedy.prompt, ...want]);
      const session = lm.openSession(1, { invariant: true });
      try {
        let logits = session.feed(
          exp.greedy.prompt.map(() => 0),
          exp.greedy.prompt,
          [exp.greedy.prompt.length - 1],
        );
        let checked = 0;
        want.forEach((tok, k) => {
          if (margins[exp.greedy.prompt.length - 1 + k]! >= 0.01) {
            expect(argmax(logits), `step ${k}`).toBe(tok);
            checked++;
          }
          logits = session.feed([0], [tok]);
        });
        expect(checked).toBeGreaterThanOrEqual(want.length - 2);
      } finally {
        session.dispose();
      }
      const firstTie = want.findIndex((_, k) => margins[exp.greedy.prompt.length - 1 + k]! < 0.01);
      const cut = firstTie === -1 ? want.length : firstTie;
      expect(lm.generate([exp.greedy.prompt], { maxNewTokens: exp.greedy.max_new_tokens, eosId: null }).tokens[0]!.slice(0, cut)).toEqual(want.slice(0, cut));
    } finally {
      lm.dispose();
    }
  });

  it('bf16 arithmetic over odd row counts (kernel tails) stays close to fp32', async () => {
    if (resolveEnginePrecision('auto', () => {}) !== 'bf16') return;
    const a = await openNativeLm(join(FIXTURES, 'tiny-mistral/bf16'), { precision: 'bf16' });
    const b = await openNativeLm(join(FIXTURES, 'tiny-mistral/bf16'), { precision: 'fp32' });
    try {
      for (const rows of [[[1, 2, 3, 4, 5, 6, 7], [9, 8, 7, 6, 5], [3]], [[5, 6, 7, 8, 9]], Array.from({ length: 70 }, (_, i) => [1 + (i % 300)])]) {
        const x = a.lm.logits(rows);
        const y = b.lm.logits(rows);
        let err = 0;
        let scale = 0;
        x.forEach((r, i) => r.forEach((v, j) => ((err = Math.max(err, Math.abs(v - y[i]![j]!))), (scale = Math.max(scale, Math.abs(y[i]![j]!))))));
        expect(scale).toBeGreaterThan(0.1);
        expect(err).toBeLessThan(0.05 * scale + 0.05);
      }
    } finally {
      a.lm.dispose();
      b.lm.dispose();
    }
  });

  it('keeps keys and values in BF16 at bf16 (2 bytes an element), FP32 at fp32, and forks only between caches of one kind', async () => {
    const precisions = resolveEnginePrecision('auto', () => {}) === 'bf16' ? (['fp32', 'bf16'] as const) : (['fp32'] as const);
    const lms = await Promise.all(precisions.map((precision) => openNativeLm(join(FIXTURES, 'tiny-mistral/bf16'), { precision })));
    try {
      const sessions = lms.map(({ lm }, i) => {
        const c = lm.config;
        const s = lm.openSession(2);
        const perToken = 2 * c.numHiddenLayers * c.numKeyValueHeads * c.headDim * (precisions[i] === 'bf16' ? 2 : 4);
        expect(s.tokenBytes).toBe(perToken);
        s.feed([0, 0, 1], [1, 2, 3]);
        expect(s.bytes()).toBe(2 * 64 * perToken); // each row's first reservation: 64 tokens
        s.fork(s, 0, 1, 2, 100);
        expect(s.length(1)).toBe(2);
        return s;
      });
      if (sessions.length === 2) {
        expect(() => sessions[1]!.fork(sessions[0]!, 0, 1, 1, 10)).toThrow(/different models/);
        expect(() => sessions[0]!.fork(sessions[1]!, 0, 1, 1, 10)).toThrow(/different models/);
      }
      sessions.forEach((s) => s.dispose());
    } finally {
      lms.forEach(({ lm }) => lm.dispose());
    }
  });

  it("feed into a caller's buffer: the same logits, as a view of it, reused step after step; a short buffer is refused", async () => {
    const { lm } = await openNativeLm(join(FIXTURES, 'tiny-llama/bf16'), { precision: 'fp32' });
    try {
      const v = lm.config.vocabSize;
      const fresh = lm.openSession(3, { invariant: true });
      const reused = lm.openSession(3, { invariant: true });
      const buffer = new Float32Array(3 * v).fill(Number.NaN);
      const steps: Array<[number[], number[], number[]]> = [
        [
          [0, 0, 1, 2, 2],
          [1, 7, 3, 9, 4],
          [1, 2, 4],
        ],
        [
          [0, 1, 2],
          [5, 6, 8],
          [0, 1, 2],
        ],
        [[2], [11], [0]],
      ];
      for (const [rows, tokens, want] of steps) {
        const a = fresh.feed(rows, tokens, want);
        const b = reused.feed(rows, tokens, want, buffer);
        expect(b.buffer).toBe(buffer.buffer);
        expect(b.length).toBe(want.length * v);
        expect(Array.from(b)).toEqual(Array.from(a));
      }
      expect(() => reused.feed([0, 1], [1, 2], [0, 1], new Float32Array(2 * v - 1))).toThrow(/out holds/);
      fresh.dispose();
      reused.dispose();
    } finally {
      lm.dispose();
    }
  });

  it('batched generation equals each prompt alone; a long prompt crosses the window and the chunking', async () => {
    const { lm } = await openNativeLm(join(FIXTURES, 'tiny-mistral'), { precision: 'fp32' });
    try {
      const long = Array.from({ length: 1500 }, (_, i) => (i * 37 + 11) % lm.config.vocabSize);
      const prompts = [[1, 5, 9], long, [2, 7]];
      const together = lm.generate(prompts, { maxNewTokens: 6, eosId: null }).tokens;
      const alone = prompts.map((p) => lm.generate([p], { maxNewTokens: 6, eosId: null }).tokens[0]);
      expect(together).toEqual(alone);
      // the logits of the last position of the long row equal those of the same tokens fed one by one
      const session = lm.openSession(1);
      let last: Float32Array = new Float32Array();
      for (const t of long.slice(-40)) last = session.feed([0], [t]);
      session.dispose();
      const tail = lm.logits([long.slice(-40)])[0]!;
      const v = lm.config.vocabSize;
      let err = 0;
      for (let i = 0; i < v; i++) err = Math.max(err, Math.abs(tail[39 * v + i]! - last[i]!));
      expect(err).toBeLessThan(1e-4);
    } finally {
      lm.dispose();
    }
  });
});

run('native engine on F16 weights', () => {
  it('keeps them in 16 bits and computes what the tfjs model computes from the same weights', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'rho-f16-'));
    try {
      const tensors = readCheckpointTensors(join(FIXTURES, 'tiny-llama'));
      for (const t of tensors.values()) t.dtype = 'F16';
      writeCheckpointTensors(tmp, tensors, { maxShardBytes: 100_000 });
      copyFileSync(join(FIXTURES, 'tiny-llama', 'config.json'), join(tmp, 'config.json'));
      const { lm, weightDtype } = await openNativeLm(tmp, { precision: 'fp32' });
      const tf = await import('@tensorflow/tfjs-core');
      await import('@tensorflow/tfjs-backend-cpu');
      await tf.setBackend('cpu');
      const { loadCheckpoint } = await import('../checkpoint/load.ts');
      const { model } = await loadCheckpoint(tmp);
      try {
        expect(weightDtype).toBe('F16');
        const ids = [
          [1, 5, 9, 30, 2, 77, 140, 3, 9, 9, 200, 17, 18, 19, 20, 21, 22, 23],
          [4, 8],
        ];
        const got = lm.logits(ids);
        ids.forEach((row, b) => {
          const want = model.logits(tf.tensor2d([row], undefined, 'int32')).dataSync();
          let err = 0;
          for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[b]![i]! - want[i]!));
          expect(err).toBeLessThan(1e-4);
        });
        // decoding reads the weights row by row (the few-rows kernel), the prompt pass through GEMMs
        const { generate } = await import('../generate/generate.ts');
        const viaTfjs = generate(model, [[1, 5, 9], [7]], { maxNewTokens: 8, eosId: null, decoder: 'tfjs' }).tokens;
        expect(lm.generate([[1, 5, 9], [7]], { maxNewTokens: 8, eosId: null }).tokens).toEqual(viaTfjs);
      } finally {
        lm.dispose();
        model.dispose();
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/**
 * A copy of a fixture checkpoint whose tensor data starts `shift` bytes past a cache line (the
 * header padded with spaces, as safetensors allows): Hub shards put their tensors wherever the
 * header ends.
 */
function shiftedCopy(from: string, to: string, shift: number): string {
  mkdirSync(to, { recursive: true });
  for (const f of ['config.json', 'tokenizer.json']) if (existsSync(join(from, f))) copyFileSync(join(from, f), join(to, f));
  const bytes = readFileSync(join(from, 'model.safetensors'));
  const n = Number(bytes.readBigUInt64LE(0));
  const json = bytes
    .subarray(8, 8 + n)
    .toString('utf8')
    .trimEnd();
  const pad = (((shift - 8 - Buffer.byteLength(json)) % 64) + 64) % 64;
  const head = Buffer.from(json + ' '.repeat(pad));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length));
  writeFileSync(join(to, 'model.safetensors'), Buffer.concat([len, head, bytes.subarray(8 + n)]));
  expect((8 + head.length) % 64).toBe(shift);
  return to;
}

run('native engine: tensors on and off a cache line', () => {
  it.each([
    ['tiny-llama/bf16', 'bf16'],
    ['tiny-llama/bf16', 'fp32'],
    ['tiny-mistral', 'fp32'],
  ] as const)('%s at %s: the same logits whether the data starts on a line, 8 or 48 bytes past one', async (name, precision) => {
    if (precision === 'bf16' && resolveEnginePrecision('auto', () => {}) !== 'bf16') return;
    const tmp = mkdtempSync(join(tmpdir(), 'rho-align-'));
    try {
      const exp = JSON.parse(readFileSync(join(FIXTURES, name.replace(/\/bf16$/, ''), 'expected.json'), 'utf8')) as Expected;
      const runs: Float32Array[][] = [];
      for (const shift of [0, 8, 48]) {
        const { lm } = await openNativeLm(shiftedCopy(join(FIXTURES, name), join(tmp, String(shift)), shift), { precision });
        try {
          const session = lm.openSession(2, { invariant: true });
          try {
            const ids = exp.input_ids[0]!;
            const prompt = session.feed(
              ids.map(() => 0),
              ids,
              ids.map((_, i) => i),
            );
            runs.push([prompt, session.feed([0, 1], [ids[1]!, ids[2]!]), ...lm.logits(exp.input_ids)]);
          } finally {
            session.dispose();
          }
        } finally {
          lm.dispose();
        }
      }
      expect(runs[0]!.some((l) => l.some((x) => x !== 0))).toBe(true);
      for (const r of runs.slice(1)) expect(r).toEqual(runs[0]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('checkpoint checks before loading', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rho-plan-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** A two-shard copy of the tiny-llama fixture. */
  function sharded(name: string): string {
    const dir = join(tmp, name);
    const tensors = readCheckpointTensors(join(FIXTURES, 'tiny-llama'));
    writeCheckpointTensors(dir, tensors, { maxShardBytes: 200_000 });
    copyFileSync(join(FIXTURES, 'tiny-llama', 'config.json'), join(dir, 'config.json'));
    return dir;
  }

  (have ? it : it.skip)('a sound sharded checkpoint plans, with every tensor placed', () => {
    const plan = planCheckpoint(sharded('ok'));
    expect(plan.files.length).toBeGreaterThan(1);
    expect(plan.tensors.get('model.embed_tokens.weight')!.shape).toEqual([256, 64]);
    expect(plan.weightDtype).toBe('F32');
  });

  (have ? it : it.skip)('a truncated shard is named', () => {
    const dir = sharded('truncated');
    const plan = planCheckpoint(dir);
    const last = plan.files.at(-1)!;
    truncateSync(last, Math.floor(readFileSync(last).length / 2));
    expect(() => planCheckpoint(dir)).toThrow(/outside the file/);
  });

  (have ? it : it.skip)('an index naming a missing shard is named', () => {
    const dir = sharded('missing');
    const plan = planCheckpoint(dir);
    rmSync(plan.files[0]!);
    expect(() => planCheckpoint(dir)).toThrow(/shard named in the index is missing/);
  });

  (have ? it : it.skip)('a dtype the kernels lack is named with the tensor', () => {
    const dir = join(tmp, 'int8');
    const header = JSON.stringify({ 'model.embed_tokens.weight': { dtype: 'I8', shape: [2, 2], data_offsets: [0, 4] } });
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(header.length));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.safetensors'), Buffer.concat([head, Buffer.from(header), Buffer.alloc(4)]));
    copyFileSync(join(FIXTURES, 'tiny-llama', 'config.json'), join(dir, 'config.json'));
    expect(() => planCheckpoint(dir)).toThrow(/model\.embed_tokens\.weight has dtype I8, which the kernels lack/);
  });

  (have ? it : it.skip)('weights too large for the memory are refused before loading', () => {
    const plan = planCheckpoint(join(FIXTURES, 'tiny-llama'));
    expect(() => checkFitsInMemory(plan, 'fp32', 100_000)).toThrow(/need .* of memory at fp32, this machine has/);
    expect(() => checkFitsInMemory(plan, 'fp32', 1e12)).not.toThrow();
  });

  it('a config too large for the memory is refused from config.json alone', () => {
    // Llama-2-70B's shape: 69B parameters, 138 GB in 16 bits
    const big = makeConfig({
      vocab_size: 32000,
      hidden_size: 8192,
      intermediate_size: 28672,
      num_hidden_layers: 80,
      num_attention_heads: 64,
      num_key_value_heads: 8,
    });
    expect(() => checkConfigFitsInMemory(big, 'config.json', 24e9)).toThrow(
      /describes 69\.0B parameters: 138\.\d GB even in 16 bits, this machine has 24\.0 GB/,
    );
    expect(() => checkConfigFitsInMemory(big, 'config.json', 1e12)).not.toThrow();
  });
});
