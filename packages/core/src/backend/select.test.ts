import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { beforeEach, describe, expect, it } from 'vitest';
import { RhoError } from '../errors.ts';
import { candidatesFor, DEFAULT_CANDIDATES, initBackendInfo, resetBackendSelection, selectBackend, type BackendCandidate } from './index.ts';

const byId = (id: string) => DEFAULT_CANDIDATES.find((c) => c.id === id)!;
const failing = (id: string, why: string): BackendCandidate => ({ id, tfName: 'tensorflow', load: () => Promise.reject(new Error(why)) });

describe('candidatesFor (RHO_BACKEND)', () => {
  it('unset or empty: every candidate, fastest first', () => {
    expect(candidatesFor(undefined).map((c) => c.id)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
    expect(candidatesFor(' ').map((c) => c.id)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
  });
  it('a name narrows the list; tensorflow means either tfjs-node package', () => {
    expect(candidatesFor('cpu').map((c) => c.id)).toEqual(['cpu']);
    expect(candidatesFor('WASM').map((c) => c.id)).toEqual(['wasm']);
    expect(candidatesFor('tensorflow').map((c) => c.id)).toEqual(['tfjs-node-gpu', 'tfjs-node']);
  });
  it('an unknown name is a config error that lists the known ones', () => {
    try {
      candidatesFor('webgpu');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RhoError);
      expect((e as RhoError).code).toBe('BAD_CONFIG');
      expect((e as RhoError).context.expected).toContain('wasm');
    }
  });
});

describe('selectBackend', () => {
  it('falls back past candidates that fail to load, recording why', async () => {
    const { candidate, skipped } = await selectBackend(undefined, [failing('tfjs-node-gpu', 'no CUDA'), failing('tfjs-node', 'no binding'), byId('cpu')]);
    expect(candidate.id).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(skipped).toEqual([
      { id: 'tfjs-node-gpu', reason: 'no CUDA' },
      { id: 'tfjs-node', reason: 'no binding' },
    ]);
  });

  it('falls back past a backend whose initialisation fails', async () => {
    tf.registerBackend('rho-broken', () => {
      throw new Error('init failed');
    });
    const broken: BackendCandidate = { id: 'cpu', tfName: 'rho-broken', load: async () => {} };
    const { candidate, skipped } = await selectBackend(undefined, [broken, byId('wasm')]);
    expect(candidate.id).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(skipped[0]!.reason).toMatch(/setBackend\('rho-broken'\) failed/);
  });

  it('an explicit request that fails is an error, not a silent fallback', async () => {
    await expect(selectBackend('tfjs-node', [failing('tfjs-node', 'no binding'), byId('cpu')])).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      context: { field: 'RHO_BACKEND', got: 'tfjs-node: no binding' },
    });
  });

  it('the real tfjs-node candidates report an absent or unbuilt package', async () => {
    const installed = (p: string) => {
      try {
        createRequire(import.meta.url).resolve(`${p}/package.json`);
        return true;
      } catch {
        return false;
      }
    };
    if (installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu')) return; // a machine that has them tests the real thing elsewhere
    const { candidate, skipped } = await selectBackend(undefined);
    expect(candidate.id).toBe('wasm');
    expect(skipped.map((s) => s.id)).toEqual(['tfjs-node-gpu', 'tfjs-node']);
    expect(skipped[0]!.reason).toMatch(/not installed/);
  });
});

describe('initBackend', () => {
  beforeEach(() => resetBackendSelection());

  it('honours RHO_BACKEND and prints one backend line however often it is called', async () => {
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const a = await initBackendInfo({ env: { RHO_BACKEND: 'cpu', RHO_NATIVE: '0' }, log });
    const b = await initBackendInfo({ env: { RHO_BACKEND: 'wasm' }, log });
    expect(a.name).toBe('cpu');
    expect(b).toBe(a); // the first selection stands for the process
    expect(lines).toEqual(['backend: cpu (matmul: tfjs (disabled by RHO_NATIVE=0))']);
  }, 60_000);

  it('a failed selection can be retried', async () => {
    await expect(initBackendInfo({ env: { RHO_BACKEND: 'nonsense' }, log: () => {} })).rejects.toBeInstanceOf(RhoError);
    const info = await initBackendInfo({ env: { RHO_BACKEND: 'wasm' }, log: () => {} });
    expect(info.name).toBe('wasm');
    expect(info.bridged).toContain('UnsortedSegmentSum');
  }, 60_000);
});
