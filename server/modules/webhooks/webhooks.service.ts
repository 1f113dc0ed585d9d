import type { Kysely } from 'kysely';
import type { CreateWebhookInput, Delivery, RecordSync, UpdateWebhookInput, Webhook, OutboxStatus } from '../../../common/webhook.schemas.js';
import type { Database, DeliveryState } from '../../db/database.js';
import { notFound } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { newId, nowIso } from '../../lib/ids.js';
import { insertAudit } from '../audit/audit.repository.js';
import type { Actor } from '../courses/courses.service.js';
import { enqueueOutbox } from './outbox.repository.js';
import { newWebhookSecret } from './webhook-signing.js';
import {
  deleteWebhookRow,
  findDelivery,
  findWebhookById,
  insertWebhook,
  latestEventDeliveryStates,
  listDeliveries,
  listWebhooks,
  outboxFigures,
  requeueDelivery,
  updateWebhookRow,
  type DeliveryRow,
  type WebhookRow,
} from './webhooks.repository.js';

/** What the webhook service needs from the app. */
export interface WebhookDeps {
  db: Kysely<Database>;
  /** Drops every node's cached endpoint list (this node's at once, the others' through the bus). */
  endpointsChanged(): void;
  /** Wakes this node's delivery job. */
  kick(): void;
}

export function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: parseEvents(row.events),
    active: row.active === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    eventId: row.event_id,
    type: row.type,
    state: row.state,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    nextAttemptAt: row.state === 'pending' ? row.next_attempt_at : null,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
  };
}

function parseEvents(json: string): string[] {
  const v: unknown = JSON.parse(json);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Duplicates removed, `*` kept alone (the schema already refused it next to other types). */
const normaliseEvents = (events: readonly string[]): string => JSON.stringify([...new Set(events)]);

async function mustFind(db: Kysely<Database>, id: string): Promise<WebhookRow> {
  const row = await findWebhookById(db, id);
  if (!row) throw notFound('Webhook');
  return row;
}

/** Adds an endpoint; its secret is returned this once (it is kept to sign, never shown again). */
export async function createWebhook(deps: WebhookDeps, actor: Actor, input: CreateWebhookInput): Promise<{ webhook: Webhook; secret: string }> {
  const now = nowIso();
  const secret = newWebhookSecret();
  const row: WebhookRow = {
    id: newId(),
    url: input.url,
    description: input.description || null,
    events: normaliseEvents(input.events),
    secret,
    active: input.active === false ? 0 : 1,
    created_by: actor.userId,
    created_at: now,
    updated_at: now,
  };
  await deps.db.transaction().execute(async (trx) => {
    await insertWebhook(trx, row);
    await insertAudit(trx, { actorId: actor.userId, action: 'webhook.created', entity: 'webhook', entityId: row.id, after: toWebhook(row) });
  });
  deps.endpointsChanged();
  return { webhook: toWebhook(row), secret };
}

export async function listWebhooksPage(deps: WebhookDeps, query: { limit: number; cursor?: string }) {
  const afterId = query.cursor ? decodeCursor(query.cursor, 1)[0] : undefined;
  const rows = await listWebhooks(deps.db, { afterId, limit: query.limit });
  const page = rows.slice(0, query.limit);
  return { items: page.map(toWebhook), nextCursor: rows.length > query.limit ? encodeCursor([page[page.length - 1].id]) : null };
}

export async function getWebhook(deps: WebhookDeps, id: string): Promise<Webhook> {
  return toWebhook(await mustFind(deps.db, id));
}

export async function updateWebhook(deps: WebhookDeps, actor: Actor, id: string, input: UpdateWebhookInput): Promise<Webhook> {
  const after = await deps.db.transaction().execute(async (trx) => {
    const before = await mustFind(trx, id);
    const row = await updateWebhookRow(trx, id, {
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.events !== undefined ? { events: normaliseEvents(input.events) } : {}),
      ...(input.description !== undefined ? { description: input.description || null } : {}),
      ...(input.active !== undefined ? { active: input.active ? 1 : 0 } : {}),
      updated_at: nowIso(),
    });
    if (!row) throw notFound('Webhook');
    await insertAudit(trx, { actorId: actor.userId, action: 'webhook.updated', entity: 'webhook', entityId: id, before: toWebhook(before), after: toWebhook(row) });
    return row;
  });
  deps.endpointsChanged();
  return toWebhook(after);
}

/** Removes the endpoint and its deliveries (events other endpoints still want stay). */
export async function deleteWebhook(deps: WebhookDeps, actor: Actor, id: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const before = await mustFind(trx, id);
    await deleteWebhookRow(trx, id);
    await insertAudit(trx, { actorId: actor.userId, action: 'webhook.deleted', entity: 'webhook', entityId: id, before: toWebhook(before) });
  });
  deps.endpointsChanged();
}

/**
 * Queues a `ping` for this endpoint only (its own order key, so it never waits behind a session's
 * queue) and returns its delivery. Works for an inactive endpoint too: checking it before
 * switching it on is the point.
 */
export async function sendTestPing(deps: WebhookDeps, actor: Actor, id: string): Promise<Delivery> {
  const delivery = await deps.db.transaction().execute(async (trx) => {
    const webhook = await mustFind(trx, id);
    const eventId = newId();
    const [created] = await enqueueOutbox(
      trx,
      [{ type: 'ping', orderKey: `ping:${eventId}`, data: { webhook: { id: webhook.id, url: webhook.url }, message: 'Rollbook test event' }, webhookIds: [webhook.id] }],
      { forType: () => [] },
    );
    const row = await trx
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('event_id', '=', created)
      .where('webhook_id', '=', webhook.id)
      .executeTakeFirstOrThrow();
    await insertAudit(trx, { actorId: actor.userId, action: 'webhook.tested', entity: 'webhook', entityId: id, after: { eventId: created, deliveryId: row.id } });
    const found = await findDelivery(trx, id, row.id);
    if (!found) throw notFound('Delivery');
    return found;
  });
  deps.kick();
  return toDelivery(delivery);
}

export async function listDeliveriesPage(deps: WebhookDeps, id: string, query: { limit: number; cursor?: string; state?: DeliveryState }) {
  await mustFind(deps.db, id);
  const beforeId = query.cursor ? decodeCursor(query.cursor, 1)[0] : undefined;
  const rows = await listDeliveries(deps.db, { webhookId: id, state: query.state, beforeId, limit: query.limit });
  const page = rows.slice(0, query.limit);
  return { items: page.map(toDelivery), nextCursor: rows.length > query.limit ? encodeCursor([page[page.length - 1].id]) : null };
}

/** Pending again and due now, with a fresh schedule of attempts (any state: replaying a delivered one is allowed). */
export async function retryDelivery(deps: WebhookDeps, actor: Actor, id: string, deliveryId: string): Promise<Delivery> {
  const row = await deps.db.transaction().execute(async (trx) => {
    const before = await findDelivery(trx, id, deliveryId);
    if (!before) throw notFound('Delivery');
    const after = await requeueDelivery(trx, id, deliveryId, nowIso());
    if (!after) throw notFound('Delivery');
    await insertAudit(trx, {
      actorId: actor.userId,
      action: 'webhook.delivery_retried',
      entity: 'webhook',
      entityId: id,
      before: toDelivery(before),
      after: toDelivery(after),
    });
    return after;
  });
  deps.kick();
  return toDelivery(row);
}

const SEVERITY: Record<DeliveryState, number> = { delivered: 0, pending: 1, failed: 2 };

/**
 * `record.sync` of each record: the worst state (failed > pending > delivered) over the deliveries of
 * the record's latest outbox event; records absent from the map have none (null).
 */
export async function recordSyncStates(db: Kysely<Database>, recordIds: readonly string[]): Promise<Map<string, RecordSync>> {
  const out = new Map<string, DeliveryState>();
  if (recordIds.length === 0) return out;
  for (const { record_id, state } of await latestEventDeliveryStates(db, [...new Set(recordIds)])) {
    const seen = out.get(record_id);
    if (!seen || SEVERITY[state] > SEVERITY[seen]) out.set(record_id, state);
  }
  return out;
}

/** `/api/status` → `outbox`. */
export async function outboxStatus(db: Kysely<Database>): Promise<OutboxStatus> {
  const f = await outboxFigures(db);
  return {
    pending: f.pending,
    failed: f.failed,
    oldestPendingSeconds: f.oldestPendingAt ? Math.max(0, Math.floor((Date.now() - Date.parse(f.oldestPendingAt)) / 1000)) : 0,
  };
}
