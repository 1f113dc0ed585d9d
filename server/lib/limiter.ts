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

/**
 * An AttemptGate: `look` decides and reserves the actor's attempt in one step, `refundWho` gives it
 * back, and a failure is counted in the address's budget.
 */
class BudgetGate implements AttemptGate {
  constructor(
    private readonly look: (who: string, ip: string) => Promise<GateLook>,
    private readonly refundWho: (who: string) => Promise<void>,
    private readonly ip: Budget,
  ) {}

  async enter(who: string, ip: string, patienceMs: number): Promise<GateEntry> {
    const r = await patiently(() => this.look(who, ip), (l) => l.outcome !== 'who', patienceMs);
    if (r.outcome !== 'allowed') return { allowed: false, msBeforeNext: r.msBeforeNext };
    return {
      allowed: true,
      refund: () => this.refundWho(who),
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
  return new BudgetGate(
    async (whoKey, ipKey) => {
      const ipFailures = await ip.peek(ipKey);
      if (ipFailures >= ipPoints) return { outcome: 'ip', msBeforeNext: 0 };
      const r = await who.reserve(whoKey);
      return r.allowed ? { outcome: 'allowed' } : { outcome: 'who', msBeforeNext: r.msBeforeNext };
    },
    (whoKey) => who.refund(whoKey),
    ip,
  );
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
 * The gate in Redis, for every attempt one node made in one turn of its event loop (GateBatch):
 * first the refunds, then the looks. KEYS: the refunded actors' counters, then each look's actor
 * counter and address counter (rate-limiter-flexible's keys, so its `reward`/`consume` keep working
 * on them); ARGV: the actor's points, the address's points, the window in seconds, the number of
 * refunds. A refund takes one point back from a counter that still holds one. Each look is decided
 * on its own, as if it were the only one: {0, 0} allowed (reserved), {1, ms} the actor's budget is
 * full, {2, ms} the address's is; the reply is every look's pair, in order.
 */
const GATE_SCRIPT = `
local refunds = tonumber(ARGV[4])
for i = 1, refunds do
  if tonumber(redis.call('get', KEYS[i]) or '0') > 0 then redis.call('decrby', KEYS[i], 1) end
end
local out = {}
for i = refunds + 1, #KEYS, 2 do
  local who, ipKey = KEYS[i], KEYS[i + 1]
  local ip = tonumber(redis.call('get', ipKey) or '0')
  if ip >= tonumber(ARGV[2]) then
    out[#out + 1] = 2
    out[#out + 1] = redis.call('pttl', ipKey)
  else
    redis.call('set', who, 0, 'EX', ARGV[3], 'NX')
    local consumed = redis.call('incrby', who, 1)
    local ttl = redis.call('pttl', who)
    if ttl == -1 then
      redis.call('expire', who, ARGV[3])
      ttl = 1000 * ARGV[3]
    end
    if consumed > tonumber(ARGV[1]) then
      redis.call('decrby', who, 1)
      out[#out + 1] = 1
      out[#out + 1] = ttl
    else
      out[#out + 1] = 0
      out[#out + 1] = 0
    end
  end
end
return out
`;

/** Looks per script call: a burst's turn can hold hundreds; Redis runs one script at a time. */
const GATE_BATCH_MAX = 128;

type GateScriptClient = Redis & { rbAttemptGates(numberOfKeys: number, ...args: (string | number)[]): Promise<number[]> };

/**
 * Collects the gate's looks and refunds made in one turn of this node's event loop and sends them
 * at its end (`setImmediate`) as one script call (GATE_SCRIPT), instead of one Redis command per
 * look and one per refund: in a burst the requests read in one turn, and the refunds of a group
 * commit's check-ins, leave together. Not on `process.nextTick`: Node runs the tick queue after
 * each callback of the turn, and each request is read in a callback of its own, so every look
 * would still leave alone (`two-node`: 2,708 script calls instead of 13,996 for the scenario's
 * check-ins, docs/performance-history.md). Redis still decides each look atomically and in order, so
 * parallel attempts can never all see "below the limit".
 */
class GateBatch {
  private looks: { keys: [string, string]; resolve: (look: GateLook) => void; reject: (err: unknown) => void }[] = [];
  private refunds: { key: string; done: () => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly client: GateScriptClient,
    private readonly prefix: string,
    private readonly points: { who: number; ip: number; seconds: number },
  ) {}

  look(who: string, ip: string): Promise<GateLook> {
    return new Promise((resolve, reject) => {
      this.looks.push({ keys: [`${this.prefix}:who:${who}`, `${this.prefix}:ip:${ip}`], resolve, reject });
      this.schedule();
    });
  }

  /** Settles once Redis has answered (a failed refund is only lost, as rate-limiter-flexible's `reward`'s would be). */
  refund(who: string): Promise<void> {
    return new Promise((done) => {
      this.refunds.push({ key: `${this.prefix}:who:${who}`, done });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** The turn's refunds go with its first GATE_BATCH_MAX looks; further looks in calls of their own. */
  private flush(): void {
    this.scheduled = false;
    const { refunds, looks } = this;
    this.refunds = [];
    this.looks = [];
    this.send(refunds, looks.slice(0, GATE_BATCH_MAX));
    for (let i = GATE_BATCH_MAX; i < looks.length; i += GATE_BATCH_MAX) this.send([], looks.slice(i, i + GATE_BATCH_MAX));
  }

  private send(refunds: GateBatch['refunds'], looks: GateBatch['looks']): void {
    const keys = refunds.map((r) => r.key);
    for (const l of looks) keys.push(l.keys[0], l.keys[1]);
    const { who, ip, seconds } = this.points;
    this.client.rbAttemptGates(keys.length, ...keys, who, ip, seconds, refunds.length).then(
      (out) => {
        looks.forEach((l, i) => {
          const outcome = out[2 * i];
          l.resolve(outcome === 0 ? { outcome: 'allowed' } : { outcome: outcome === 1 ? 'who' : 'ip', msBeforeNext: Math.max(0, out[2 * i + 1]) });
        });
        for (const r of refunds) r.done();
      },
      (err: unknown) => {
        for (const l of looks) l.reject(err);
        for (const r of refunds) r.done();
      },
    );
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

  /**
   * Both budgets in one Lua script, and every look and refund of one turn of the event loop in one
   * call of it (GateBatch) instead of a command each. While Redis is down, slow or not yet connected
   * the gate counts in this node's memory, and the attempt's refund or failure goes where its
   * reservation was made.
   */
  gate({ name, whoPoints, ipPoints, durationSeconds }: GateOptions): AttemptGate {
    const memory = new MemoryLimiterFactory().gate({ name, whoPoints, ipPoints, durationSeconds });
    // The address's failures are counted by rate-limiter-flexible on the script's keys.
    const ip = this.budget({ name: `${name}:ip`, points: ipPoints, durationSeconds });
    const client = this.redis as GateScriptClient;
    if (typeof client.rbAttemptGates !== 'function') client.defineCommand('rbAttemptGates', { lua: GATE_SCRIPT });
    const batch = new GateBatch(client, `rb:${name}`, { who: whoPoints, ip: ipPoints, seconds: durationSeconds });
    const inRedis = new BudgetGate(
      (whoKey, ipKey) => batch.look(whoKey, ipKey),
      (whoKey) => batch.refund(whoKey),
      ip,
    );
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

