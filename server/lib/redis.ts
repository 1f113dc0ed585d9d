import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis client that never holds a request hostage: with Redis away, commands fail at once
 * (no offline queue) and the client keeps reconnecting in the background.
 */
export function createRedis(url: string, name: string, overrides: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    connectionName: `rollbook-${name}`,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    ...overrides,
  });
  // Errors are reflected in client.status (shown by /api/status); don't crash on them.
  client.on('error', () => {});
  return client;
}
