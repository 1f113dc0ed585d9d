import type { Redis } from 'ioredis';

/** Counts events per key in a fixed window; shared across nodes when backed by Redis. */
export interface Limiter {
  /** Adds one hit and returns the count in the current window. */
  hit(key: string, windowSeconds: number): Promise<number>;
  /** The count in the current window, without adding. */
  count(key: string): Promise<number>;
  reset(key: string): Promise<void>;
}

export class MemoryLimiter implements Limiter {
  private readonly counts = new Map<string, { n: number; until: number }>();

  async hit(key: string, windowSeconds: number): Promise<number> {
    const now = Date.now();
    const entry = this.counts.get(key);
    if (!entry || entry.until <= now) {
      if (this.counts.size > 100_000) this.sweep(now);
      this.counts.set(key, { n: 1, until: now + windowSeconds * 1000 });
      return 1;
    }
    entry.n++;
    return entry.n;
  }

  async count(key: string): Promise<number> {
    const entry = this.counts.get(key);
    return entry && entry.until > Date.now() ? entry.n : 0;
  }

  async reset(key: string): Promise<void> {
    this.counts.delete(key);
  }

  private sweep(now: number) {
    for (const [k, v] of this.counts) if (v.until <= now) this.counts.delete(k);
  }
}

/** Redis-backed limiter; if Redis is unreachable it falls back to counting in memory. */
export class RedisLimiter implements Limiter {
  private readonly fallback = new MemoryLimiter();
  constructor(private readonly redis: Redis, private readonly prefix = 'rb:limit:') {}

  async hit(key: string, windowSeconds: number): Promise<number> {
    if (this.redis.status !== 'ready') return this.fallback.hit(key, windowSeconds);
    try {
      const k = this.prefix + key;
      const res = await this.redis.multi().incr(k).expire(k, windowSeconds, 'NX').exec();
      return Number(res?.[0]?.[1] ?? 1);
    } catch {
      return this.fallback.hit(key, windowSeconds);
    }
  }

  async count(key: string): Promise<number> {
    if (this.redis.status !== 'ready') return this.fallback.count(key);
    try {
      return Number((await this.redis.get(this.prefix + key)) ?? 0);
    } catch {
      return this.fallback.count(key);
    }
  }

  async reset(key: string): Promise<void> {
    await this.fallback.reset(key);
    if (this.redis.status !== 'ready') return;
    await this.redis.del(this.prefix + key).catch(() => undefined);
  }
}
