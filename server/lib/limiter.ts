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
export function reservePatiently(budget: Budget, key: string, patienceMs: number): Promise<Reservation> {
  return patiently(() => budget.reserve(key), (r) => r.allowed, patienceMs);
}

/** Calls `attempt` until `done` says so or `patienceMs` would be over, backing off from 25 to 200 ms. */
async function patiently<T>(attempt: () => Promise<T>, done: (value: T) => boolean, patienceMs: number): Promise<T> {
  const until = Date.now() + patienceMs;
  let delay = 25;
  for (;;) {
    const r = await attempt();
    if (done(r) || Date.now() + delay > until) return r;
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

/**
 * Failure budgets for attempts that are checked against a secret (check-in codes): one per actor
 * (`who`: a user, a student number) and one per client address (`ip`).
 */
export interface GateOptions {
  /** Key prefix of the two budgets (`<name>:who`, `<name>:ip`). */
  name: string;
  whoPoints: number;
  ipPoints: number;
  durationSeconds: number;
}

/** What `AttemptGate.enter` decided. */
export type GateEntry =
  | { allowed: false; msBeforeNext: number }
  | {
      allowed: true;
      /** The attempt was right: give the reservation back. */
      refund(): Promise<void>;
      /** The attempt was wrong: the reservation stays, and the address's failures grow by one. */
      failed(): Promise<void>;
    };

/**
 * Reserves one attempt of the actor BEFORE the secret is checked, so parallel guesses can never all
 * see "below the limit"; the address's failures are only counted after a wrong answer (a class behind
 * one NAT checks in at once), but an address that spent its budget is refused first.
 */
export interface AttemptGate {
  /**
   * One atomic step (one Redis round trip): refused when the address has spent its failure budget or
   * the actor's reservations and failures fill theirs; else the actor's reservation is taken. A
   * refusal because of the actor's budget is retried for up to `patienceMs` (reservations of attempts
   * still in flight are refunded when they turn out fine).
   */
  enter(who: string, ip: string, patienceMs: number): Promise<GateEntry>;
}

/** Creates budgets: in Redis (shared by every node) when there is one, else in memory. */
export interface LimiterFactory {
  budget(options: BudgetOptions): Budget;
  gate(options: GateOptions): AttemptGate;
}

/** The gate's outcome from one look at both budgets. */
type GateLook = { outcome: 'allowed' } | { outcome: 'who' | 'ip'; msBeforeNext: number };

/** An AttemptGate over two budgets; `look` decides and reserves in one step. */
class BudgetGate implements AttemptGate {
  constructor(
    private readonly who: Budget,
    private readonly ip: Budget,
    private readonly look: (who: string, ip: string) => Promise<GateLook>,
  ) {}

  async enter(who: string, ip: string, patienceMs: number): Promise<GateEntry> {
    const r = await patiently(() => this.look(who, ip), (l) => l.outcome !== 'who', patienceMs);
    if (r.outcome !== 'allowed') return { allowed: false, msBeforeNext: r.msBeforeNext };
    return {
      allowed: true,
      refund: () => this.who.refund(who),
      failed: async () => void (await this.ip.reserve(ip)),
    };
  }
}

/**
 * In memory: the address's count, then the actor's reservation (each a synchronous update behind its
 * promise). As in Redis, the address's count only grows once an attempt's answer is known, so
 * attempts already under way when it reaches the limit still get theirs.
 */
function memoryGate(who: Budget, ip: Budget, ipPoints: number): BudgetGate {
  return new BudgetGate(who, ip, async (whoKey, ipKey) => {
    const ipFailures = await ip.peek(ipKey);
    if (ipFailures >= ipPoints) return { outcome: 'ip', msBeforeNext: 0 };
    const r = await who.reserve(whoKey);
    return r.allowed ? { outcome: 'allowed' } : { outcome: 'who', msBeforeNext: r.msBeforeNext };
  });
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

  gate({ name, whoPoints, ipPoints, durationSeconds }: GateOptions): AttemptGate {
    const who = this.budget({ name: `${name}:who`, points: whoPoints, durationSeconds });
    const ip = this.budget({ name: `${name}:ip`, points: ipPoints, durationSeconds });
    return memoryGate(who, ip, ipPoints);
  }
}

/**
 * The gate's look in Redis: KEYS[1] the actor's counter, KEYS[2] the address's (rate-limiter-flexible's
 * keys, so its `reward`/`consume` keep working on them); ARGV: the actor's points, the address's
 * points, the window in seconds. Returns {0, 0} allowed (reserved), {1, ms} the actor's budget is
 * full, {2, ms} the address's is.
 */
const GATE_SCRIPT = `
local ip = tonumber(redis.call('get', KEYS[2]) or '0')
if ip >= tonumber(ARGV[2]) then return {2, redis.call('pttl', KEYS[2])} end
redis.call('set', KEYS[1], 0, 'EX', ARGV[3], 'NX')
local consumed = redis.call('incrby', KEYS[1], 1)
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('expire', KEYS[1], ARGV[3])
  ttl = 1000 * ARGV[3]
end
if consumed > tonumber(ARGV[1]) then
  redis.call('decrby', KEYS[1], 1)
  return {1, ttl}
end
return {0, 0}
`;

type GateScriptClient = Redis & { rbAttemptGate(whoKey: string, ipKey: string, whoPoints: number, ipPoints: number, seconds: number): Promise<[number, number]> };

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

  /**
   * Both budgets in one Lua script: one round trip per attempt instead of a reservation and a
   * separate read of the address's counter. While Redis is down, slow or not yet connected the gate
   * counts in this node's memory, and the attempt's refund or failure goes where its reservation was
   * made.
   */
  gate({ name, whoPoints, ipPoints, durationSeconds }: GateOptions): AttemptGate {
    const memory = new MemoryLimiterFactory().gate({ name, whoPoints, ipPoints, durationSeconds });
    const who = this.budget({ name: `${name}:who`, points: whoPoints, durationSeconds });
    const ip = this.budget({ name: `${name}:ip`, points: ipPoints, durationSeconds });
    const client = this.redis as GateScriptClient;
    if (typeof client.rbAttemptGate !== 'function') client.defineCommand('rbAttemptGate', { numberOfKeys: 2, lua: GATE_SCRIPT });
    const inRedis = new BudgetGate(who, ip, async (whoKey, ipKey) => {
      const [outcome, ms] = await client.rbAttemptGate(`rb:${name}:who:${whoKey}`, `rb:${name}:ip:${ipKey}`, whoPoints, ipPoints, durationSeconds);
      return outcome === 0 ? { outcome: 'allowed' } : { outcome: outcome === 1 ? 'who' : 'ip', msBeforeNext: Math.max(0, ms) };
    });
    return {
      enter: (whoKey, ipKey, patienceMs) => {
        if (this.redis.status !== 'ready') return memory.enter(whoKey, ipKey, patienceMs);
        return inRedis.enter(whoKey, ipKey, patienceMs).catch(() => memory.enter(whoKey, ipKey, patienceMs));
      },
    };
  }
}

export const createLimiterFactory = (redis: Redis | null): LimiterFactory =>
  redis ? new RedisLimiterFactory(redis) : new MemoryLimiterFactory();

