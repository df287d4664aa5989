import { describe, expect, it } from 'vitest';
import { categorize, categoryTable, fittedChange } from './categories.ts';

describe('token categories', () => {
  it('fits a line: the change of a straight line is its rise; noise around it averages out', () => {
    expect(fittedChange([0, 1, 2, 3], [4, 3, 2, 1])).toBeCloseTo(-3, 12);
    expect(fittedChange([100, 200, 400], [1, 1.5, 2.5])).toBeCloseTo(1.5, 12);
    expect(fittedChange([0, 1, 2], [1, 2, 1])).toBeCloseTo(0, 12);
  });

  it('sorts tokens into H→L, L→H, H→H and L→L by change and level', () => {
    const steps = [0, 10, 20];
    // tokens: falling high, rising low, flat high, flat low, flat but with NaN
    const losses = [
      [5, 1, 4, 0.5, Number.NaN],
      [3, 1.2, 4.1, 0.6, 1],
      [1, 1.5, 3.95, 0.55, 1],
    ];
    expect(categorize(steps, losses)).toEqual(['H→L', 'L→H', 'H→H', 'L→L', null]);
    // A tighter threshold turns the small rise of token 2 (−0.05) … still flat; a looser one makes token 1 flat.
    expect(categorize(steps, losses, { threshold: 0.6 })[1]).toBe('L→L');
  });

  it('tabulates shares over all, selected and noise tokens', () => {
    const cats = ['H→L', 'H→L', 'L→L', 'L→H', null] as const;
    const t = categoryTable([...cats], [1, 0, 1, 0, 1], [0, 0, 0, 1, 0]);
    const row = (c: string) => t.find((r) => r.category === c)!;
    expect(row('H→L').all).toBeCloseTo(0.5);
    expect(row('H→L').selected).toBeCloseTo(0.5);
    expect(row('L→L').selected).toBeCloseTo(0.5);
    expect(row('L→H').noise).toBe(1);
    expect(row('H→H').count).toBe(0);
    expect(t.reduce((s, r) => s + r.all, 0)).toBeCloseTo(1);
  });
});
