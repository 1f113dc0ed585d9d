// The Redis client (server/lib/redis.ts): the commands given in one turn of the event loop go to
// Redis in one write, and every command is still answered, in order, whichever turn it was given in.
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis } from '../server/lib/redis.js';
import { REDIS_TEST_URL } from './support/services.js';

describe.runIf(inject('redisAvailable'))('the Redis client', () => {
  let client: ReturnType<typeof createRedis>;
  const key = `rb:test:redis-client:${process.pid}`;

  beforeAll(async () => {
    client = createRedis(REDIS_TEST_URL, 'test-writes');
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  });
  afterAll(async () => {
    await client.del(key);
    await client.quit();
  });

  /** Counts the socket's writes to the kernel (Node's _write for one chunk, _writev for several). */
  function countWrites(socket: Socket) {
    const s = socket as unknown as { _write: (...a: unknown[]) => unknown; _writev: (...a: unknown[]) => unknown };
    const write = s._write;
    const writev = s._writev;
    const seen: number[] = [];
    s._write = function (this: unknown, ...a: unknown[]) {
      seen.push(1);
      return write.apply(this, a);
    };
    s._writev = function (this: unknown, chunks: unknown, ...rest: unknown[]) {
      seen.push((chunks as unknown[]).length);
      return writev.call(this, chunks, ...rest);
    };
    return {
      seen,
      restore() {
        s._write = write;
        s._writev = writev;
      },
    };
  }

  it('sends the commands of one turn in one write, and answers each in order', async () => {
    await client.del(key);
    const writes = countWrites(client.stream as Socket);
    try {
      // Twenty commands and a pipeline (as the bus publishes), all given in the same turn.
      const answers = Promise.all(Array.from({ length: 20 }, () => client.incr(key)));
      const piped = client.pipeline().incr(key).get(key).exec();
      expect((client.stream as Socket).writableCorked).toBe(1);
      expect(await answers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await piped).toEqual([
        [null, 21],
        [null, '21'],
      ]);
      expect(writes.seen.length).toBe(1);
      expect(writes.seen[0]).toBeGreaterThanOrEqual(21);
    } finally {
      writes.restore();
    }
  });

  it('writes a command given in a later turn in a write of its own, without waiting for anything', async () => {
    await client.del(key);
    const writes = countWrites(client.stream as Socket);
    try {
      expect(await client.incr(key)).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(await client.incr(key)).toBe(2);
      expect(writes.seen).toEqual([1, 1]);
      expect((client.stream as Socket).writableCorked).toBe(0);
    } finally {
      writes.restore();
    }
  });
});
