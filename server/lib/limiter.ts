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
      if (e instanceof RateLimiterRes) return fromRes(e, false);
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

/**
 * Count-then-hit interface of the old hand-written limiter, kept only until the check-in service's
 * failure gate moves to `Budget.reserve` (its file is being rewritten on main).
 */
export interface LegacyLimiter {
  count(key: string): Promise<number>;
  hit(key: string, windowSeconds: number): Promise<number>;
}

export function legacyLimiter(factory: LimiterFactory): LegacyLimiter {
  const budgets = new Map<number, RateLimiterBudget>();
  const of = (windowSeconds: number) => {
    let b = budgets.get(windowSeconds);
    if (!b) budgets.set(windowSeconds, (b = factory.budget({ name: `legacy:${windowSeconds}`, points: 1e9, durationSeconds: windowSeconds }) as RateLimiterBudget));
    return b;
  };
  return {
    async count(key) {
      let n = 0;
      for (const b of budgets.values()) n = Math.max(n, await b.peek(key));
      return n;
    },
    async hit(key, windowSeconds) {
      return (await of(windowSeconds).reserve(key)).consumed;
    },
  };
}
