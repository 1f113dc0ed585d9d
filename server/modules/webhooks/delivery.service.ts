import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { signWebhook } from './webhook-signing.js';
import type { OutgoingWebhook, SendResult, WebhookSender } from './webhook-sender.js';
import { claimDueDeliveries, pruneDeliveredEvents, recordOutcomes, type AttemptOutcome, type ClaimedDelivery, type ClaimOptions } from './webhooks.repository.js';

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

export interface DeliveryDeps {
  db: Kysely<Database>;
  postgres: boolean;
  log: FastifyBaseLogger;
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  /** Carries the POSTs (a thread of its own). */
  sender: WebhookSender;
  /** Counts outcomes (metrics). */
  onOutcome?(outcome: DeliveryOutcome): void;
  /**
   * Where claims and outcomes are written when not on `db` (SQLite: the check-in writer thread,
   * modules/attendance/writer-thread.ts); each answers undefined when it cannot take them now.
   */
  store?: {
    claimDeliveries(o: ClaimOptions): Promise<ClaimedDelivery[]> | undefined;
    recordDeliveryOutcomes(outcomes: readonly AttemptOutcome[]): Promise<void> | undefined;
  } | null;
}

/** Deliveries one claim takes: queues are sent in parallel, each queue's run in order. */
export const CLAIM_BATCH = 200;
/** A claim outlives its last possible attempt (two timeouts) by this much, then lapses (a crashed node's work is retaken). */
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

/** The signed POST of one delivery (Standard Webhooks headers; the body as eventBody builds it). */
function outgoing(d: ClaimedDelivery): OutgoingWebhook {
  const body = eventBody(d);
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    url: d.url,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Rollbook-Webhooks/1',
      'webhook-id': d.event_id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(d.secret, d.event_id, timestamp, body),
    },
    body,
  };
}

/** What one attempt's result means for its delivery: delivered, or failed (retried later or given up); unsent: released. */
function outcomeOf(deps: DeliveryDeps, d: ClaimedDelivery, result: SendResult): AttemptOutcome {
  if (result === null) return { id: d.id, kind: 'released' };
  const now = result.at;
  if (result.error === undefined) {
    deps.onOutcome?.('delivered');
    return { id: d.id, kind: 'delivered', status: result.status, at: new Date(now).toISOString() };
  }
  const attempts = d.attempts + 1;
  const giveUp = attempts >= deps.maxAttempts;
  deps.onOutcome?.(giveUp ? 'failed' : 'retry');
  deps.log.info({ deliveryId: d.id, webhookId: d.webhook_id, attempts, error: result.error, giveUp }, 'webhook delivery failed');
  return {
    id: d.id,
    kind: 'failed',
    status: result.status,
    error: result.error.slice(0, ERROR_MAX),
    nextAttemptAt: new Date(now + (giveUp ? 0 : retryDelayMs(deps, attempts))).toISOString(),
    giveUp,
  };
}

/**
 * Claims one batch of due deliveries, has the sender send each queue's run in order (queues side by
 * side; a run stops at its first failure and the rest stay unsent behind it) and records every
 * outcome in one transaction; returns how many it claimed. If the sender fails as a whole, the batch
 * is released unsent (attempts unchanged) and 0 is returned: the run ends, and the batch goes out at
 * the next poll rather than being claimed and released again at once.
 */
export async function deliverDueBatch(deps: DeliveryDeps): Promise<number> {
  const now = Date.now();
  const claim = {
    now: new Date(now).toISOString(),
    lockedUntil: new Date(now + 2 * deps.timeoutMs + LOCK_MARGIN_MS).toISOString(),
    limit: CLAIM_BATCH,
    postgres: deps.postgres,
  };
  const claimed = await (deps.store?.claimDeliveries(claim) ?? claimDueDeliveries(deps.db, claim));
  if (claimed.length === 0) return 0;
  const runs = new Map<string, ClaimedDelivery[]>();
  for (const d of claimed) {
    const key = `${d.webhook_id}\u0000${d.order_key}`;
    const run = runs.get(key);
    if (run) run.push(d);
    else runs.set(key, [d]);
  }
  const runList = [...runs.values()];
  let results: SendResult[][] | null = null;
  try {
    // Every attempt ends within two timeouts of the claim (see sendRun in webhook-sender.ts).
    results = await deps.sender.send(
      runList.map((run) => run.map(outgoing)),
      { timeoutMs: deps.timeoutMs, claimedAt: now, limitMs: 2 * deps.timeoutMs + LOCK_MARGIN_MS / 2 },
    );
  } catch (err) {
    deps.log.warn({ err, deliveries: claimed.length }, 'could not send webhook deliveries; they go out at the next poll');
  }
  const outcomes = runList.flatMap((run, i) => run.map((d, k) => outcomeOf(deps, d, results?.[i]?.[k] ?? null)));
  try {
    await (deps.store?.recordDeliveryOutcomes(outcomes) ?? recordOutcomes(deps.db, outcomes));
  } catch (err) {
    // The claims lapse and the deliveries are sent again: at least once, never lost.
    deps.log.warn({ err, deliveries: outcomes.length }, 'could not record webhook delivery outcomes');
  }
  return results ? claimed.length : 0;
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
