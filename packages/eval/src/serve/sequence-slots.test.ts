import { describe, expect, it } from 'vitest';
import { SequenceSlots } from './sequence-slots.ts';

describe('SequenceSlots', () => {
  it('takes all or nothing, never past its capacity, and gives back what was released', () => {
    const s = new SequenceSlots(3);
    expect(s.tryTake(2)).toBe(true);
    expect(s.tryTake(2)).toBe(false);
    expect(s.inUse).toBe(2);
    expect(s.tryTake(1)).toBe(true);
    s.release(2);
    expect(s.tryTake(2)).toBe(true);
    expect(s.inUse).toBe(3);
  });
});
