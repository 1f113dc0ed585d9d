import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createRedis } from '../server/lib/redis.js';
import { MemoryBus, REDIS_CHANNEL_PREFIX, RedisBus } from '../server/realtime/bus.js';
import { startTcpProxy, type TcpProxy } from './support/cluster.js';
import { REDIS_TEST_URL } from './support/services.js';

const log = pino({ level: 'silent' });

function collector() {
  const frames: string[] = [];
  const listener = (frame: string) => {
    frames.push(frame);
  };
  return { frames, listener };
}

describe('MemoryBus', () => {
  it('serialises once per publish and delivers to each listener of the topic only', () => {
    const bus = new MemoryBus(log);
    const a = collector();
    const b = collector();
    void bus.subscribe('user:1', a.listener);
    void bus.subscribe('user:2', b.listener);
    bus.publish('user:1', 'HELLO', { n: 1 });
    expect(a.frames).toEqual(['{"event":"HELLO","topic":"user:1","data":{"n":1}}']);
    expect(b.frames).toEqual([]);
    bus.unsubscribe('user:1', a.listener);
    bus.publish('user:1', 'HELLO', { n: 2 });
    expect(a.frames).toHaveLength(1);
    expect(bus.topicCount).toBe(1);
  });

  it('never throws from publish, even for data JSON cannot encode or a failing listener', () => {
    const bus = new MemoryBus(log);
    void bus.subscribe('user:1', () => {
      throw new Error('listener bug');
    });
    const ok = collector();
    void bus.subscribe('user:1', ok.listener);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => bus.publish('user:1', 'BAD', circular)).not.toThrow();
    expect(() => bus.publish('user:1', 'BIG', { n: 10n })).not.toThrow();
    expect(() => bus.publish('user:1', 'OK', {})).not.toThrow();
    expect(ok.frames).toEqual(['{"event":"OK","topic":"user:1","data":{}}']);
  });
});

describe.runIf(inject('redisAvailable'))('RedisBus', () => {
  let proxy: TcpProxy;
  const buses: RedisBus[] = [];
  const clients: ReturnType<typeof createRedis>[] = [];
  let admin: ReturnType<typeof createRedis>;

  function makeBus(url = proxy.url) {
    const publisher = createRedis(url, 'test-pub');
    const subscriber = createRedis(url, 'test-sub', { autoResubscribe: false });
    clients.push(publisher);
    const bus = new RedisBus({ publisher, subscriber, log });
    buses.push(bus);
    return bus;
  }

  const ready = (bus: RedisBus) => vi.waitFor(() => expect(bus.state).toBe('ok'), { timeout: 10_000 });
  const channelsOf = async (topic: string) => (await admin.call('PUBSUB', 'NUMSUB', REDIS_CHANNEL_PREFIX + topic)) as [string, number];

  beforeAll(async () => {
    proxy = await startTcpProxy(REDIS_TEST_URL);
    admin = createRedis(REDIS_TEST_URL, 'test-admin');
    await vi.waitFor(() => expect(admin.status).toBe('ready'), { timeout: 10_000 });
  });
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
    for (const c of clients.splice(0)) c.disconnect();
  });
  afterAll(async () => {
    admin?.disconnect();
    await proxy?.close();
  });

  it('delivers across buses exactly once, and holds a Redis channel only while someone listens', async () => {
    const a = makeBus();
    const b = makeBus();
    await ready(a);
    await ready(b);
    const topic = `user:bus-${Date.now()}`;
    const onA = collector();
    const onB = collector();
    await a.subscribe(topic, onA.listener);
    expect((await channelsOf(topic))[1]).toBe(1);
    await b.subscribe(topic, onB.listener);
    expect((await channelsOf(topic))[1]).toBe(2);

    b.publish(topic, 'PING_ALL', { from: 'b' });
    await vi.waitFor(() => expect(onA.frames).toHaveLength(1), { timeout: 10_000 });
    expect(onA.frames[0]).toBe(`{"event":"PING_ALL","topic":"${topic}","data":{"from":"b"}}`);
    // b's own listener got it locally, and not a second time through Redis.
    a.publish(topic, 'FENCE', {});
    await vi.waitFor(() => expect(onB.frames).toHaveLength(2), { timeout: 10_000 });
    expect(onB.frames.map((f) => JSON.parse(f).event)).toEqual(['PING_ALL', 'FENCE']);

    a.unsubscribe(topic, onA.listener);
    await vi.waitFor(async () => expect((await channelsOf(topic))[1]).toBe(1), { timeout: 10_000 });
  });

  it("sends a turn's events in one batch: every event arrives once, and in order per topic", async () => {
    const a = makeBus();
    const b = makeBus();
    await ready(a);
    await ready(b);
    const topics = [0, 1, 2].map((i) => `session:batch-${Date.now()}-${i}`);
    const got = topics.map(() => collector());
    for (const [i, t] of topics.entries()) await b.subscribe(t, got[i].listener);
    const monitor = createRedis(REDIS_TEST_URL, 'test-monitor', { autoResubscribe: false });
    clients.push(monitor);
    const messages: string[] = [];
    monitor.on('message', (_channel: string, message: string) => messages.push(message));
    await vi.waitFor(() => expect(monitor.status).toBe('ready'), { timeout: 10_000 });
    await monitor.subscribe(...topics.map((t) => REDIS_CHANNEL_PREFIX + t));

    // Three batches (each published synchronously, then a turn of the event loop), interleaving topics; data with newlines and separators in it.
    let n = 0;
    for (let turn = 0; turn < 3; turn++) {
      for (let k = 0; k < 40; k++) a.publish(topics[k % 3], 'CHECKIN', { n: n++, note: 'line\nbreak \\n {"x":1}' });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await vi.waitFor(() => expect(got.reduce((s, g) => s + g.frames.length, 0)).toBe(n), { timeout: 10_000 });
    for (const [i, g] of got.entries()) {
      const events = g.frames.map((f) => JSON.parse(f));
      expect(events.every((e) => e.topic === topics[i] && e.data.note === 'line\nbreak \\n {"x":1}')).toBe(true);
      const ns = events.map((e) => e.data.n);
      expect(ns).toEqual(Array.from({ length: n }, (_, k) => k).filter((k) => (k % 40) % 3 === i));
    }
    // One Redis message per topic per turn, not one per event.
    await vi.waitFor(() => expect(messages).toHaveLength(9), { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(messages).toHaveLength(9);
  });

  it('degrades to local delivery while Redis is away and resubscribes by itself when it returns', async () => {
    const a = makeBus();
    const b = makeBus(REDIS_TEST_URL); // b keeps its Redis; only a loses it
    await ready(a);
    await ready(b);
    const topic = `user:gap-${Date.now()}`;
    const onA = collector();
    const onB = collector();
    const resynced = vi.fn();
    a.onResync(resynced);
    await a.subscribe(topic, onA.listener);
    await b.subscribe(topic, onB.listener);

    proxy.cut();
    await vi.waitFor(() => expect(a.state).toBe('down'), { timeout: 10_000 });
    expect(() => a.publish(topic, 'LOCAL_ONLY', {})).not.toThrow();
    expect(onA.frames.map((f) => JSON.parse(f).event)).toEqual(['LOCAL_ONLY']);
    // A subscription made while Redis is away answers at once and is taken up on reconnection.
    const late = collector();
    const lateTopic = `${topic}-late`;
    await a.subscribe(lateTopic, late.listener);

    proxy.restore();
    await ready(a);
    await vi.waitFor(() => expect(resynced).toHaveBeenCalled(), { timeout: 10_000 });
    await vi.waitFor(async () => expect((await channelsOf(lateTopic))[1]).toBe(1), { timeout: 10_000 });
    b.publish(topic, 'AFTER', {});
    b.publish(lateTopic, 'LATE', {});
    await vi.waitFor(() => expect(onA.frames.map((f) => JSON.parse(f).event)).toContain('AFTER'), { timeout: 10_000 });
    await vi.waitFor(() => expect(late.frames).toHaveLength(1), { timeout: 10_000 });
    expect(onB.frames.map((f) => JSON.parse(f).event)).not.toContain('LOCAL_ONLY');
  });
});
