import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** The outcome of reserving points: `allowed` is false when the budget was already spent. */
export interface Reservation {
  allowed: boolean;
  /** Points used in the current window, this reservation included. */
  consumed: number;
  /** Milliseconds until the window starts again. */
  msBeforeNext: number;
}

/**
 * A budget of `points` per key per `durationSeconds`. `reserve` counts and decides in one atomic step
 * (a Lua script in Redis, a single synchronous update in memory), so parallel requests can never all
 * see "below the limit" and all go through.
 */
export interface Budget {
  reserve(key: string, points?: number, durationSeconds?: number): Promise<Reservation>;
  /** Gives back points reserved for an attempt that turned out fine. */
  refund(key: string, points?: number): Promise<void>;
  /** Forgets the key (e.g. a successful sign-in clears that client's failures). */
  clear(key: string): Promise<void>;
  /** Points used in the current window, without using any. */
  peek(key: string): Promise<number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `reserve`, but a refusal is retried for up to `patienceMs`. Reservations of attempts still in
 * flight fill the budget for a moment; those that turn out fine are refunded, so a legitimate burst
 * (a student tapping twice, a class behind one address) gets through after a short wait, while
 * failures stay counted and a spent budget still refuses — only later.
 */
export async function reservePatiently(budget: Budget, key: string, patienceMs: number): Promise<Reservation> {
  const until = Date.now() + patienceMs;
  let delay = 25;
  for (;;) {
    const r = await budget.reserve(key);
    if (r.allowed || Date.now() + delay > until) return r;
    await sleep(delay);
    delay = Math.min(delay * 2, 200);
  }
}

export interface BudgetOptions {
  /** Key prefix; two budgets with different names never share a counter. */
  name: string;
  points: number;
  durationSeconds: number;
}

/** Creates budgets: in Redis (shared by every node) when there is one, else in memory. */
export interface LimiterFactory {
  budget(options: BudgetOptions): Budget;
}

function fromRes(res: RateLimiterRes, allowed: boolean): Reservation {
  return { allowed, consumed: res.consumedPoints, msBeforeNext: res.msBeforeNext };
}

class RateLimiterBudget implements Budget {
  constructor(private readonly limiter: RateLimiterAbstract) {}

  async reserve(key: string, points = 1, durationSeconds?: number): Promise<Reservation> {
    try {
      const res = await this.limiter.consume(key, points, durationSeconds ? { customDuration: durationSeconds } : {});
      return fromRes(res, true);
    } catch (e) {
      // rate-limiter-flexible rejects with a RateLimiterRes when the budget is spent; anything else
      // (Redis down with no insurance) is a real error.
      if (e instanceof RateLimiterRes) {
        // A refused attempt is never checked: it must not hold a point, or retries of attempts that
        // were waiting for refunds would keep the budget full.
        await this.limiter.reward(key, points).catch(() => undefined);
        return fromRes(e, false);
      }
      throw e;
    }
  }

  async refund(key: string, points = 1): Promise<void> {
    await this.limiter.reward(key, points).catch(() => undefined);
  }

  async clear(key: string): Promise<void> {
    await this.limiter.delete(key).catch(() => undefined);
  }

  async peek(key: string): Promise<number> {
    const res = await this.limiter.get(key).catch(() => null);
    return res?.consumedPoints ?? 0;
  }
}

export class MemoryLimiterFactory implements LimiterFactory {
  budget({ name, points, durationSeconds }: BudgetOptions): Budget {
    return new RateLimiterBudget(new RateLimiterMemory({ keyPrefix: `rb:${name}`, points, duration: durationSeconds }));
  }
}

/**
 * Budgets in Redis, each insured by an in-memory twin: while Redis is down, slow (the client's
 * command timeout) or not yet connected, this node keeps counting on its own instead of failing
 * requests or letting guesses through uncounted.
 */
export class RedisLimiterFactory implements LimiterFactory {
  constructor(private readonly redis: Redis) {}

  budget({ name, points, durationSeconds }: BudgetOptions): Budget {
    const insuranceLimiter = new RateLimiterMemory({ keyPrefix: `rb:${name}`, points, duration: durationSeconds });
    return new RateLimiterBudget(
      new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `rb:${name}`,
        points,
        duration: durationSeconds,
        rejectIfRedisNotReady: true,
        insuranceLimiter,
      }),
    );
  }
}

export const createLimiterFactory = (redis: Redis | null): LimiterFactory =>
  redis ? new RedisLimiterFactory(redis) : new MemoryLimiterFactory();

