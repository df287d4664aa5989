import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { RequestCut, RequestLifetime } from './request-lifetime.ts';

const response = () => Object.assign(new EventEmitter(), { writableFinished: false }) as unknown as ServerResponse;
const never = new Promise<never>(() => {});

describe('RequestLifetime', () => {
  it('passes the work through while it lasts', async () => {
    const life = new RequestLifetime(response(), { timeoutMs: 1000, receiveMs: 1000 });
    await expect(life.race(Promise.resolve(7))).resolves.toBe(7);
    life.dispose();
    expect(life.cut).toBeNull();
  });

  it('cuts at the deadline, aborting the signal, even for work that ignores it', async () => {
    const life = new RequestLifetime(response(), { timeoutMs: 30, receiveMs: 1000 });
    life.bodyArrived();
    await expect(life.race(never)).rejects.toBeInstanceOf(RequestCut);
    expect(life.cut).toBe('timeout');
    expect(life.signal.aborted).toBe(true);
    expect(life.bodyReceived).toBe(true);
  });

  it('cuts when the body has not arrived in time, and not once it has', async () => {
    const slow = new RequestLifetime(response(), { timeoutMs: 1000, receiveMs: 20 });
    await expect(slow.race(never)).rejects.toThrow('ran out of time');
    expect(slow.bodyReceived).toBe(false);
    slow.dispose();
    const arrived = new RequestLifetime(response(), { timeoutMs: 1000, receiveMs: 20 });
    arrived.bodyArrived();
    await new Promise((r) => setTimeout(r, 50));
    expect(arrived.cut).toBeNull();
    arrived.dispose();
  });

  it('cuts when the connection closes before the answer is complete', async () => {
    const res = response();
    const life = new RequestLifetime(res, { timeoutMs: 1000, receiveMs: 1000 });
    const work = life.race(never);
    res.emit('close');
    await expect(work).rejects.toThrow('closed the connection');
    expect(life.cut).toBe('client-gone');
    life.dispose();
  });
});
