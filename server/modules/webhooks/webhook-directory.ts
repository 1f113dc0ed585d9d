import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { OutboxEventType, Subscribers } from './outbox.repository.js';

/** How long a node trusts its copy of the endpoint list; a change made on another node shows within this. */
const TTL_MS = 5_000;

interface Endpoint {
  id: string;
  events: string[];
}

/**
 * The active webhook endpoints and the event types each wants, kept in memory: every change of an
 * attendance record asks who subscribes, and that must not cost a query on the check-in path.
 * Changes on this node invalidate it at once; other nodes' copies expire within TTL_MS (and the
 * webhook routes also announce changes on the bus, which invalidates every node's copy).
 */
export class WebhookDirectory {
  private endpoints: Endpoint[] = [];
  private loadedAt = -Infinity;
  private loading: Promise<void> | null = null;

  constructor(private readonly db: Kysely<Database>) {}

  /** The subscribers as of now (reloaded when older than TTL_MS). */
  async current(): Promise<Subscribers> {
    if (Date.now() - this.loadedAt > TTL_MS) await this.reload();
    const endpoints = this.endpoints;
    return {
      forType: (type: OutboxEventType) =>
        endpoints.filter((e) => e.events.includes('*') ? type !== 'ping' : e.events.includes(type)).map((e) => e.id),
    };
  }

  /** Whether any endpoint is active (records then carry a sync state). */
  async any(): Promise<boolean> {
    if (Date.now() - this.loadedAt > TTL_MS) await this.reload();
    return this.endpoints.length > 0;
  }

  invalidate(): void {
    this.loadedAt = -Infinity;
  }

  private reload(): Promise<void> {
    this.loading ??= this.db
      .selectFrom('webhooks')
      .select(['id', 'events'])
      .where('active', '=', 1)
      .execute()
      .then((rows) => {
        this.endpoints = rows.map((r) => ({ id: r.id, events: parseEvents(r.events) }));
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }
}

function parseEvents(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
