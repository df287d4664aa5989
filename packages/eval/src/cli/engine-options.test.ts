import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { engineOptions, refuseEngineForServers } from './engine-options.ts';

describe('engine options', () => {
  const parse = (args: string[]) => {
    const cmd = new Command('x').exitOverride().configureOutput({ writeErr: () => {} });
    for (const o of engineOptions()) cmd.addOption(o);
    cmd.parse(args, { from: 'user' });
    return cmd.opts<{ engine?: string; precision?: string }>();
  };

  it('take the engine and precision choices, and leave them unset by default (RHO_ENGINE and auto decide)', () => {
    expect(parse(['--engine', 'native', '--precision', 'bf16'])).toEqual({ engine: 'native', precision: 'bf16' });
    expect(parse([])).toEqual({});
    expect(() => parse(['--engine', 'gpu'])).toThrow(/Allowed choices are auto, native, tfjs, llama\.cpp/);
    expect(parse(['--engine', 'llama.cpp', '--gpu', 'none'])).toEqual({ engine: 'llama.cpp', gpu: 'none' });
    expect(() => parse(['--gpu', 'rocm'])).toThrow(/Allowed choices are auto, cuda, vulkan, metal, none/);
    expect(() => parse(['--precision', 'fp8'])).toThrow(/Allowed choices are auto, bf16, fp32/);
  });

  it('are refused for servers, where they would change nothing', () => {
    expect(() => refuseEngineForServers({ engine: 'native' }, true)).toThrow(/--engine applies to a local checkpoint/);
    expect(() => refuseEngineForServers({ precision: 'bf16' }, true)).toThrow(/--precision applies to a local checkpoint/);
    expect(() => refuseEngineForServers({ gpu: 'cuda' }, true)).toThrow(/--gpu applies to a local checkpoint/);
    expect(() => refuseEngineForServers({ engine: 'native', precision: 'bf16' }, false)).not.toThrow();
    expect(() => refuseEngineForServers({}, true)).not.toThrow();
  });
});
