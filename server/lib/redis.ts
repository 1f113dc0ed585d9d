import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';

/** How often a connected client proves Redis still answers (a frozen Redis keeps its TCP open). */
const WATCHDOG_EVERY_MS = 2000;

export interface RedisTimeouts {
  connectTimeout: number;
  commandTimeout: number;
}

export const redisTimeouts = (config: Pick<Config, 'REDIS_CONNECT_TIMEOUT_MS' | 'REDIS_COMMAND_TIMEOUT_MS'>): RedisTimeouts => ({
  connectTimeout: config.REDIS_CONNECT_TIMEOUT_MS,
  commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
});

/**
 * A Redis client that never holds a request hostage: with Redis away, commands fail at once
 * (no offline queue), a command that gets no answer fails after `commandTimeout`, and the client
 * keeps reconnecting in the background. A Redis that stops answering on an open connection (frozen,
 * black-holed) is noticed by a periodic PING and the connection is dropped and retried, so
 * `status` stops saying `ready` and everything falls back as it does when Redis is down.
 */
export function createRedis(url: string, name: string, overrides: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    connectionName: `rollbook-${name}`,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    connectTimeout: 2000,
    commandTimeout: 1000,
    ...overrides,
  });
  // Errors are reflected in client.status (shown by /api/status); don't crash on them.
  client.on('error', () => {});
  let probing = false;
  const watchdog = setInterval(() => {
    if (client.status !== 'ready' || probing) return;
    probing = true;
    client
      .ping()
      .catch(() => {
        if (client.status === 'ready') client.disconnect(true);
      })
      .finally(() => {
        probing = false;
      });
  }, WATCHDOG_EVERY_MS);
  watchdog.unref();
  client.on('end', () => clearInterval(watchdog));
  writeOncePerTick(client);
  return client;
}

/**
 * The commands a client is given in one turn of the event loop (with the promise continuations
 * that turn sets off) go to Redis in one write: the socket is corked at the first and uncorked on
 * `process.nextTick`. A group commit acknowledges its check-ins together, and each gives its
 * limiter reservation back while the bus publishes their events: one write instead of one per
 * check-in plus one, on a machine where every write to another process is a wake-up of it. Nothing
 * waits for a batch in flight (unlike ioredis' auto-pipelining): a command is written at the end
 * of the turn it was given in, and answered as before, in order.
 */
function writeOncePerTick(client: Redis): void {
  const send = client.sendCommand.bind(client);
  let corked = false;
  client.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) => {
    const socket = client.stream;
    if (!corked && socket?.writable) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return send(command, stream);
  }) as Redis['sendCommand'];
}
