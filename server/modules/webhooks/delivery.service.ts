import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { signWebhook } from './webhook-signing.js';
import { claimDueDeliveries, pruneDeliveredEvents, recordOutcomes, type AttemptOutcome, type ClaimedDelivery } from './webhooks.repository.js';

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

/** Deliveries one claim takes: queues are sent in parallel, each queue's run in order. */
const CLAIM_BATCH = 50;
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

async function attempt(deps: DeliveryDeps, d: ClaimedDelivery): Promise<AttemptOutcome> {
  const result = await send(deps, d);
  const now = Date.now();
  if (result.ok) {
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
 * Sends a run of one queue in order; after a failure the rest stay unsent (released) behind it. No
 * attempt starts later than one timeout after the claim, so every attempt ends within the claim.
 */
async function sendRun(deps: DeliveryDeps, run: ClaimedDelivery[], claimedAt: number): Promise<AttemptOutcome[]> {
  const out: AttemptOutcome[] = [];
  for (let i = 0; i < run.length; i++) {
    if (i > 0 && Date.now() - claimedAt > deps.timeoutMs) {
      for (const rest of run.slice(i)) out.push({ id: rest.id, kind: 'released' });
      break;
    }
    const outcome = await attempt(deps, run[i]);
    out.push(outcome);
    if (outcome.kind === 'failed') {
      for (const rest of run.slice(i + 1)) out.push({ id: rest.id, kind: 'released' });
      break;
    }
  }
  return out;
}

/**
 * Claims one batch of due deliveries, sends each queue's run in order (queues in parallel) and
 * records every outcome in one transaction; returns how many it claimed.
 */
export async function deliverDueBatch(deps: DeliveryDeps): Promise<number> {
  const now = Date.now();
  const claimed = await claimDueDeliveries(deps.db, {
    now: new Date(now).toISOString(),
    lockedUntil: new Date(now + 2 * deps.timeoutMs + LOCK_MARGIN_MS).toISOString(),
    limit: CLAIM_BATCH,
    postgres: deps.postgres,
  });
  const runs = new Map<string, ClaimedDelivery[]>();
  for (const d of claimed) {
    const key = `${d.webhook_id}\u0000${d.order_key}`;
    const run = runs.get(key);
    if (run) run.push(d);
    else runs.set(key, [d]);
  }
  const outcomes = (await Promise.all([...runs.values()].map((run) => sendRun(deps, run, now)))).flat();
  try {
    await recordOutcomes(deps.db, outcomes);
  } catch (err) {
    // The claims lapse and the deliveries are sent again: at least once, never lost.
    deps.log.warn({ err, deliveries: outcomes.length }, 'could not record webhook delivery outcomes');
  }
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
