// The check-in attempt gate in Redis (server/lib/limiter.ts, RedisLimiterFactory.gate): the looks and
// refunds one node makes in one turn of its event loop go to Redis as one script call, and each
// look is still decided on its own, atomically, in order — a budget holds however many attempts
// share the call.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisLimiterFactory, type AttemptGate, type GateEntry } from '../server/lib/limiter.js';
import { createRedis } from '../server/lib/redis.js';
import { REDIS_TEST_URL } from './support/services.js';

describe.runIf(inject('redisAvailable'))('the attempt gate in Redis', () => {
  let client: ReturnType<typeof createRedis>;
  const name = `test-gate-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    client = createRedis(REDIS_TEST_URL, 'test-gate');
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  });
  afterAll(async () => {
    const keys = await client.keys(`rb:${name}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  /** A gate whose script calls are counted. */
  function countedGate(suffix: string, whoPoints: number, ipPoints = 1000): { gate: AttemptGate; calls: () => number } {
    const gate = new RedisLimiterFactory(client).gate({ name: `${name}-${suffix}`, whoPoints, ipPoints, durationSeconds: 60 });
    const c = client as unknown as { rbAttemptGates: (...args: unknown[]) => Promise<unknown> };
    const original = c.rbAttemptGates;
    let calls = 0;
    c.rbAttemptGates = function (this: unknown, ...args: unknown[]) {
      calls++;
      return original.apply(this, args);
    };
    return { gate, calls: () => calls };
  }

  const allowed = (entries: GateEntry[]) => entries.filter((e) => e.allowed).length;

  it('forty attempts of forty students in one turn: one script call, every one let in', async () => {
    const { gate, calls } = countedGate('forty', 3);
    const entries = await Promise.all(Array.from({ length: 40 }, (_, i) => gate.enter(`user:s${i}`, '10.0.0.1', 0)));
    expect(allowed(entries)).toBe(40);
    expect(calls()).toBe(1);
    // Their refunds, made together, are one more call; afterwards each student's budget is whole again.
    await Promise.all(entries.map((e) => (e.allowed ? e.refund() : undefined)));
    expect(calls()).toBe(2);
    const counters = await client.mget(Array.from({ length: 40 }, (_, i) => `rb:${name}-forty:who:user:s${i}`));
    expect(counters).toEqual(Array.from({ length: 40 }, () => '0'));
  });

  it('ten attempts of one student in one call: the budget of three still holds', async () => {
    const { gate, calls } = countedGate('ten', 3);
    const entries = await Promise.all(Array.from({ length: 10 }, () => gate.enter('user:one', '10.0.0.2', 0)));
    expect(calls()).toBe(1);
    expect(allowed(entries)).toBe(3);
    expect(entries.filter((e) => !e.allowed).every((e) => !e.allowed && e.msBeforeNext > 0)).toBe(true);
  });

  it('a refund and new attempts in the same turn: the refund is counted first', async () => {
    const { gate, calls } = countedGate('refund', 2);
    const first = await Promise.all([gate.enter('user:r', '10.0.0.3', 0), gate.enter('user:r', '10.0.0.3', 0)]);
    expect(allowed(first)).toBe(2);
    const before = calls();
    // One attempt turns out fine and gives its reservation back while two more arrive: one of them fits.
    const refunded = first[0].allowed ? first[0].refund() : undefined;
    const next = await Promise.all([gate.enter('user:r', '10.0.0.3', 0), gate.enter('user:r', '10.0.0.3', 0)]);
    await refunded;
    expect(calls() - before).toBe(1);
    expect(allowed(next)).toBe(1);
  });

  it("an address that spent its failures is refused for every attempt of the call; the students' budgets are untouched", async () => {
    const { gate } = countedGate('ip', 3, 2);
    const wrong = await Promise.all([gate.enter('user:a', '10.0.0.4', 0), gate.enter('user:b', '10.0.0.4', 0)]);
    for (const e of wrong) if (e.allowed) await e.failed();
    const refused = await Promise.all([gate.enter('user:c', '10.0.0.4', 0), gate.enter('user:d', '10.0.0.4', 0)]);
    expect(allowed(refused)).toBe(0);
    expect(await client.mget(`rb:${name}-ip:who:user:c`, `rb:${name}-ip:who:user:d`)).toEqual([null, null]);
  });
});
