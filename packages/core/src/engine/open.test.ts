import { cpSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../datadir.ts';
import { RhoError } from '../errors.ts';
import { readConfigFile } from '../config/llama-config.ts';
import { chooseEngine, enginesToCheck, openCausalLm } from './open.ts';
import { checkTfjsFits } from './tfjs-lm.ts';

const FIXTURES = process.env.RHO_FIXTURES_DIR ?? resolve(REPO_ROOT, '../shared/fixtures');
const TINY = join(FIXTURES, 'tiny-llama');
const tmp = mkdtempSync(join(tmpdir(), 'engine-open-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const available = () => null;
const missing = () => 'the addon is not built';

/** The RhoError a call throws (fails the test if it throws anything else or nothing). */
function rhoError(fn: () => unknown): RhoError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RhoError);
    return e as RhoError;
  }
  throw new Error('expected a RhoError');
}

async function rejected(p: Promise<unknown>): Promise<RhoError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RhoError);
  return e as RhoError;
}

describe('chooseEngine', () => {
  it('auto takes native where it can run, else tfjs with the reason', () => {
    expect(chooseEngine('auto', {}, available)).toEqual({ engine: 'native' });
    expect(chooseEngine('auto', {}, missing)).toEqual({ engine: 'tfjs', fallbackReason: 'the addon is not built' });
    expect(chooseEngine(undefined, {}, missing).engine).toBe('tfjs');
  });

  it('tfjs is tfjs whatever native can do, without asking it', () => {
    let asked = false;
    expect(chooseEngine('tfjs', {}, () => ((asked = true), null))).toEqual({ engine: 'tfjs' });
    expect(asked).toBe(false);
  });

  it('native where it cannot run is UNSUPPORTED, naming the reason', () => {
    const e = rhoError(() => chooseEngine('native', {}, missing));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain('the addon is not built');
    expect(chooseEngine('native', {}, available)).toEqual({ engine: 'native' });
  });

  it('RHO_ENGINE is the default, an explicit choice wins, and a bad value is named', () => {
    expect(chooseEngine(undefined, { RHO_ENGINE: 'tfjs' }, available).engine).toBe('tfjs');
    expect(chooseEngine('native', { RHO_ENGINE: 'tfjs' }, available).engine).toBe('native');
    expect(() => chooseEngine(undefined, { RHO_ENGINE: 'native' }, missing)).toThrow(/native engine cannot run/);
    const e = rhoError(() => chooseEngine(undefined, { RHO_ENGINE: 'gpu' }, available));
    expect(e.code).toBe('BAD_CONFIG');
    expect(e.context.field).toBe('RHO_ENGINE');
  });
});

describe('enginesToCheck', () => {
  it('auto checks both engines where native can run, else tfjs and says why', () => {
    expect(enginesToCheck(undefined, {}, available)).toEqual({ engines: ['tfjs', 'native'] });
    expect(enginesToCheck('auto', {}, missing)).toEqual({ engines: ['tfjs'], skipped: 'the addon is not built' });
    expect(enginesToCheck('native', {}, missing).engines).toEqual(['native']);
    expect(enginesToCheck(undefined, { RHO_ENGINE: 'tfjs' }, available).engines).toEqual(['tfjs']);
    expect(() => enginesToCheck('all', {}, available)).toThrow(/engine must be one of auto, both, native, tfjs/);
  });
});

describe('checkTfjsFits', () => {
  it('refuses the TinyLlama-1.1B architecture on wasm before loading, and lets the tiny fixture through', () => {
    const big = readConfigFile(join(FIXTURES, 'configs/tinyllama-1.1b.json'));
    const e = rhoError(() => checkTfjsFits(big, 'wasm', '/ckpt'));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toMatch(/wasm backend's 4\.3 GB heap/);
    expect(e.context.hint).toMatch(/--engine native/);
    // on cpu the machine's memory is the bound
    expect(() => checkTfjsFits(big, 'cpu', '/ckpt', 64e9)).not.toThrow();
    expect(() => checkTfjsFits(big, 'cpu', '/ckpt', 4e9)).toThrow(/machine's 4\.0 GB of memory/);
    expect(() => checkTfjsFits(readConfigFile(join(TINY, 'config.json')), 'wasm', TINY)).not.toThrow();
  });
});

describe('openCausalLm', () => {
  it('fails on a missing directory, config or shard before any loading, naming the file', async () => {
    let e = await rejected(openCausalLm(join(tmp, 'nope'), { engine: 'tfjs' }));
    expect(e.code).toBe('NOT_FOUND');
    const noConfig = join(tmp, 'no-config');
    cpSync(TINY, noConfig, { recursive: true });
    rmSync(join(noConfig, 'config.json'));
    e = await rejected(openCausalLm(noConfig, { engine: 'tfjs' }));
    expect(e.context.file).toBe(join(noConfig, 'config.json'));
    const noShard = join(tmp, 'no-shard');
    cpSync(TINY, noShard, { recursive: true });
    rmSync(join(noShard, 'model.safetensors'));
    writeFileSync(join(noShard, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.norm.weight': 'model-00001-of-00002.safetensors' } }));
    e = await rejected(openCausalLm(noShard, { engine: 'native' }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toMatch(/shard named in the index is missing/);
  });

  it('native where the environment disables it: one UNSUPPORTED error with the reason', async () => {
    const e = await rejected(openCausalLm(TINY, { engine: 'native' }, { RHO_NATIVE: '0' }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toMatch(/disabled by RHO_NATIVE=0/);
  });

  it('auto falls back to tfjs where native cannot run, and says so in the description', async () => {
    const { lm, weightDtype, weightBytes } = await openCausalLm(TINY, {}, { RHO_NATIVE: '0' });
    try {
      expect(lm.engine).toBe('tfjs');
      expect(lm.description).toMatch(new RegExp(`^tfjs engine, ${lm.precision}, .*native engine unavailable: disabled by RHO_NATIVE=0$`));
      expect(weightDtype).toBe('F32');
      expect(weightBytes).toBe(statSync(join(TINY, 'model.safetensors')).size);
    } finally {
      lm.dispose();
    }
  });

  it('reports load progress from nothing to every byte of the weights', async () => {
    const seen: [number, number][] = [];
    const { lm, weightBytes } = await openCausalLm(TINY, { engine: 'tfjs', onLoadProgress: (d, t) => seen.push([d, t]) });
    lm.dispose();
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toEqual([0, weightBytes]);
    expect(seen.at(-1)).toEqual([weightBytes, weightBytes]);
  });
});
