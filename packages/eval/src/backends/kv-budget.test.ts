import { describe, expect, it } from 'vitest';
import { defaultKvBudget } from './kv-budget.ts';

describe('key/value memory budget', () => {
  it('defaults to three quarters of what the process and a 2 GiB margin leave, at least 256 MiB', () => {
    const G = 2 ** 30;
    expect(defaultKvBudget(3 * G, 24 * G)).toBe(Math.floor(0.75 * 19 * G));
    expect(defaultKvBudget(23 * G, 24 * G)).toBe(256 * 2 ** 20);
  });
});
