import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { signWebhook } from './webhook-signing.js';
import { claimDueDeliveries, markAttemptFailed, markDelivered, pruneDeliveredEvents, type ClaimedDelivery } from './webhooks.repository.js';

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

export interface DeliveryDeps {
  db: Kysely<Database>;
  postgres: boolean;
  log: FastifyBaseLogger;
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  /** Counts outcomes (metrics). */
  onOutcome?(outcome: DeliveryOutcome): void;
}

/** Deliveries one claim takes; they are sent in parallel (each is the head of its own queue). */
const CLAIM_BATCH = 50;
/** A claim outlives the request's timeout by this much, then lapses (a crashed node's work is retaken). */
const LOCK_MARGIN_MS = 5_000;
const ERROR_MAX = 500;

/**
 * The wait before attempt `attempts + 1`: doubling from the base, capped, with ±20 % jitter so
 * endpoints that failed together do not all come back at the same instant.
 */
export function retryDelayMs(deps: Pick<DeliveryDeps, 'retryBaseMs' | 'retryMaxMs'>, attempts: number): number {
  const raw = Math.min(deps.retryMaxMs, deps.retryBaseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}

/** The request body: `{id, type, createdAt, data}`, with the stored `data` JSON spliced in as it is. */
export function eventBody(d: Pick<ClaimedDelivery, 'event_id' | 'type' | 'event_created_at' | 'payload'>): string {
  return `{"id":${JSON.stringify(d.event_id)},"type":${JSON.stringify(d.type)},"createdAt":${JSON.stringify(d.event_created_at)},"data":${d.payload}}`;
}

async function send(deps: DeliveryDeps, d: ClaimedDelivery): Promise<{ ok: true; status: number } | { ok: false; status: number | null; error: string }> {
  const body = eventBody(d);
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const res = await fetch(d.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Rollbook-Webhooks/1',
        'webhook-id': d.event_id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(d.secret, d.event_id, timestamp, body),
      },
      body,
      // A redirect is not an answer: the endpoint's URL is what the admin configured.
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => undefined);
      return { ok: true, status: res.status };
    }
    const text = await res.text().catch(() => '');
    const snippet = text.trim().slice(0, 200);
    return { ok: false, status: res.status, error: `HTTP ${res.status}${snippet ? `: ${snippet}` : ''}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { ok: false, status: null, error: `no answer within ${deps.timeoutMs} ms` };
    const cause = e.cause?.code ?? e.cause?.message;
    return { ok: false, status: null, error: (cause ? `${e.message} (${cause})` : e.message).slice(0, ERROR_MAX) };
  }
}

async function attempt(deps: DeliveryDeps, d: ClaimedDelivery): Promise<void> {
  const result = await send(deps, d);
  const now = Date.now();
  if (result.ok) {
    await markDelivered(deps.db, d.id, { status: result.status, at: new Date(now).toISOString() });
    deps.onOutcome?.('delivered');
    return;
  }
  const attempts = d.attempts + 1;
  const giveUp = attempts >= deps.maxAttempts;
  await markAttemptFailed(deps.db, d.id, {
    status: result.status,
    error: result.error.slice(0, ERROR_MAX),
    nextAttemptAt: new Date(now + (giveUp ? 0 : retryDelayMs(deps, attempts))).toISOString(),
    giveUp,
  });
  deps.onOutcome?.(giveUp ? 'failed' : 'retry');
  deps.log.info({ deliveryId: d.id, webhookId: d.webhook_id, attempts, error: result.error, giveUp }, 'webhook delivery failed');
}

/** Claims one batch of due deliveries and sends them; returns how many it claimed. */
export async function deliverDueBatch(deps: DeliveryDeps): Promise<number> {
  const now = Date.now();
  const claimed = await claimDueDeliveries(deps.db, {
    now: new Date(now).toISOString(),
    lockedUntil: new Date(now + deps.timeoutMs + LOCK_MARGIN_MS).toISOString(),
    limit: CLAIM_BATCH,
    postgres: deps.postgres,
  });
  await Promise.all(
    claimed.map((d) =>
      attempt(deps, d).catch((err: unknown) => {
        // The claim lapses and the delivery is taken again: at least once, never lost.
        deps.log.warn({ err, deliveryId: d.id }, 'could not record a webhook delivery outcome');
      }),
    ),
  );
  return claimed.length;
}

/** Deletes delivered events older than the retention period, a bounded batch at a time. */
export async function pruneOutbox(db: Kysely<Database>, retentionDays: number): Promise<number> {
  const before = new Date(Date.now() - retentionDays * 86_400_000).toISOString();
  let total = 0;
  for (;;) {
    const n = await pruneDeliveredEvents(db, before, 500);
    total += n;
    if (n < 500) return total;
  }
}
