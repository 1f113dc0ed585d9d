import type { Insertable, Kysely } from 'kysely';
import type { WebhookEventType } from '../../../common/webhook.schemas.js';
import type { Database, OutboxEventsTable, WebhookDeliveriesTable } from '../../db/database.js';
import { hotQuery } from '../../db/hot-query.js';
import { newId } from '../../lib/ids.js';

type Db = Kysely<Database>;

/** The event types of the outbox are those an endpoint can subscribe to (common/webhook.schemas.ts). */
export type OutboxEventType = WebhookEventType;

export interface OutboxEventInput {
  type: OutboxEventType;
  /** Deliveries with the same key go out in order (a session's id for record and session events). */
  orderKey: string;
  /** For record events: the record, so its sync state can be shown. */
  recordId?: string | null;
  /** The event's `data` (serialised once, here). */
  data: unknown;
  /** When set, only these endpoints get it (a `ping` to one endpoint); otherwise every subscriber. */
  webhookIds?: string[];
}

/** The endpoints that want an event type, as the writer needs them inside its transaction. */
export interface Subscribers {
  forType(type: OutboxEventType): readonly string[];
}

type EventRow = Insertable<OutboxEventsTable>;
type DeliveryRow = Insertable<WebhookDeliveriesTable>;

/** The outbox rows of some events: each event's row and one pending delivery per endpoint that wants it. */
export interface OutboxRows {
  events: EventRow[];
  deliveries: DeliveryRow[];
}

/** Makes events into their outbox rows (ids, payloads serialised once, deliveries per subscriber), to be inserted in the change's transaction. */
export function outboxRows(events: readonly OutboxEventInput[], subscribers: Subscribers, now = new Date().toISOString()): OutboxRows {
  const eventRows: EventRow[] = [];
  const deliveries: DeliveryRow[] = [];
  for (const e of events) {
    const row = { id: newId(), type: e.type, order_key: e.orderKey, record_id: e.recordId ?? null, payload: JSON.stringify(e.data), created_at: now };
    eventRows.push(row);
    for (const webhookId of e.webhookIds ?? subscribers.forType(e.type)) {
      deliveries.push({
        id: newId(),
        webhook_id: webhookId,
        event_id: row.id,
        order_key: row.order_key,
        state: 'pending',
        attempts: 0,
        next_attempt_at: now,
        locked_until: null,
        last_status: null,
        last_error: null,
        delivered_at: null,
        created_at: now,
      });
    }
  }
  return { events: eventRows, deliveries };
}

const insertEventQuery = hotQuery((db: Db, e: EventRow) =>
  db.insertInto('outbox_events').values({
    id: e.id,
    type: e.type,
    order_key: e.order_key,
    record_id: e.record_id,
    payload: e.payload,
    created_at: e.created_at,
  }),
);

const insertDeliveryQuery = hotQuery((db: Db, d: DeliveryRow) =>
  db.insertInto('webhook_deliveries').values({
    id: d.id,
    webhook_id: d.webhook_id,
    event_id: d.event_id,
    order_key: d.order_key,
    state: 'pending',
    attempts: 0,
    next_attempt_at: d.next_attempt_at,
    locked_until: null,
    last_status: null,
    last_error: null,
    delivered_at: null,
    created_at: d.created_at,
  }),
);

/**
 * Writes events to the outbox and one pending delivery per endpoint that wants each; call it inside
 * the transaction of the change the events describe, so the change and its events commit (or
 * vanish) together. Returns the event ids.
 */
export async function enqueueOutbox(trx: Db, events: readonly OutboxEventInput[], subscribers: Subscribers): Promise<string[]> {
  const rows = outboxRows(events, subscribers);
  await insertOutboxRows(trx, rows);
  return rows.events.map((e) => e.id);
}

/** Inserts outbox rows one row per statement (check-in path: hot queries; a single record change has one event). */
export async function insertOutboxRows(trx: Db, rows: OutboxRows): Promise<void> {
  for (const e of rows.events) await insertEventQuery(trx, e);
  for (const d of rows.deliveries) await insertDeliveryQuery(trx, d);
}

/** `enqueueOutbox` for many events at once (a close): multi-row inserts, same rows. */
export async function enqueueOutboxMany(trx: Db, events: readonly OutboxEventInput[], subscribers: Subscribers): Promise<void> {
  const { events: eventRows, deliveries: deliveryRows } = outboxRows(events, subscribers);
  for (let i = 0; i < eventRows.length; i += 200) await trx.insertInto('outbox_events').values(eventRows.slice(i, i + 200)).execute();
  for (let i = 0; i < deliveryRows.length; i += 200) await trx.insertInto('webhook_deliveries').values(deliveryRows.slice(i, i + 200)).execute();
}
