import { describe, expect, it } from 'vitest';
import { defaultKvBudget, parseBytes } from './kv-budget.ts';

describe('key/value memory sizes', () => {
  it('reads sizes with binary units', () => {
    expect(parseBytes('8G', '--kv-mem')).toBe(8 * 2 ** 30);
    expect(parseBytes('512M', '--kv-mem')).toBe(512 * 2 ** 20);
    expect(parseBytes('1.5GiB', '--kv-mem')).toBe(1.5 * 2 ** 30);
    expect(parseBytes('4096', '--kv-mem')).toBe(4096);
  });

  it('names the option on a bad size', () => {
    for (const bad of ['', 'lots', '-1G', '0', '3X']) expect(() => parseBytes(bad, '--kv-mem')).toThrow(/--kv-mem must be a size/);
  });

  it('defaults to three quarters of what the process and a 2 GiB margin leave, at least 256 MiB', () => {
    const G = 2 ** 30;
    expect(defaultKvBudget(3 * G, 24 * G)).toBe(Math.floor(0.75 * 19 * G));
    expect(defaultKvBudget(23 * G, 24 * G)).toBe(256 * 2 ** 20);
  });
});
