import { sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { Database, DeliveryState, WebhookDeliveriesTable, WebhooksTable } from '../../db/database.js';
import { hotQuery } from '../../db/hot-query.js';

type Db = Kysely<Database>;
export type WebhookRow = Selectable<WebhooksTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable> & { type: string };

export async function insertWebhook(db: Db, row: WebhookRow): Promise<void> {
  await db.insertInto('webhooks').values(row).execute();
}

export function findWebhookById(db: Db, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Endpoints by id (time-ordered) after the keyset cursor; one more than `limit` tells there is a next page. */
export function listWebhooks(db: Db, f: { afterId?: string; limit: number }): Promise<WebhookRow[]> {
  let q = db.selectFrom('webhooks').selectAll();
  if (f.afterId) q = q.where('id', '>', f.afterId);
  return q.orderBy('id').limit(f.limit + 1).execute();
}

export function updateWebhookRow(db: Db, id: string, patch: Updateable<WebhooksTable>): Promise<WebhookRow | undefined> {
  return db.updateTable('webhooks').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}

/** Deletes the endpoint; its deliveries go with it (foreign key cascade). */
export async function deleteWebhookRow(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

function deliveriesWithType(db: Db) {
  return db
    .selectFrom('webhook_deliveries')
    .innerJoin('outbox_events', 'outbox_events.id', 'webhook_deliveries.event_id')
    .selectAll('webhook_deliveries')
    .select('outbox_events.type');
}

/** An endpoint's deliveries, newest first, before the keyset cursor. */
export function listDeliveries(db: Db, f: DeliveriesFilter): Promise<DeliveryRow[]> {
  return listDeliveriesQuery(db, f).execute();
}

export interface DeliveriesFilter {
  webhookId: string;
  state?: DeliveryState;
  beforeId?: string;
  limit: number;
}

/**
 * listDeliveries' query: walked in order by (webhook_id, id) or (webhook_id, state, id), migration
 * 0016. Exported for the test that examines its plan.
 */
export function listDeliveriesQuery(db: Db, f: DeliveriesFilter) {
  let q = deliveriesWithType(db).where('webhook_deliveries.webhook_id', '=', f.webhookId);
  if (f.state) q = q.where('webhook_deliveries.state', '=', f.state);
  if (f.beforeId) q = q.where('webhook_deliveries.id', '<', f.beforeId);
  return q.orderBy('webhook_deliveries.id', 'desc').limit(f.limit + 1);
}

export function findDelivery(db: Db, webhookId: string, deliveryId: string): Promise<DeliveryRow | undefined> {
  return deliveriesWithType(db)
    .where('webhook_deliveries.webhook_id', '=', webhookId)
    .where('webhook_deliveries.id', '=', deliveryId)
    .executeTakeFirst();
}

/** Pending again and due now, with a fresh schedule of attempts; undefined when it does not exist. */
export async function requeueDelivery(db: Db, webhookId: string, deliveryId: string, now: string): Promise<DeliveryRow | undefined> {
  const r = await db
    .updateTable('webhook_deliveries')
    .set({ state: 'pending', attempts: 0, next_attempt_at: now, locked_until: null })
    .where('webhook_id', '=', webhookId)
    .where('id', '=', deliveryId)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return undefined;
  return findDelivery(db, webhookId, deliveryId);
}

/** A claimed delivery with everything needed to send it. */
export interface ClaimedDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  order_key: string;
  attempts: number;
  url: string;
  secret: string;
  type: string;
  payload: string;
  event_created_at: string;
}

/**
 * Claims due deliveries for this node until `lockedUntil`, atomically, so two nodes never send the
 * same attempt; a crashed node's claim lapses at `lockedUntil`. A delivery waits while an earlier
 * event of the same endpoint × order_key queue is still pending, which keeps a session's events in
 * order.
 *
 * PostgreSQL: only the head of each queue is claimable (an earlier pending delivery blocks, claimed
 * or not), and rows another node is claiming at this instant are skipped (`FOR UPDATE SKIP LOCKED`);
 * a snapshot cannot safely see a whole run of a queue as free. SQLite runs one writer at a time and
 * its conditional UPDATE sees every committed claim, so it may take a run of consecutive due
 * deliveries of a queue at once (`runs`): earlier ones sort first, so a run is always complete from
 * its head. The caller sends a run in order and stops at the first failure.
 */
export async function claimDueDeliveries(db: Db, o: ClaimOptions): Promise<ClaimedDelivery[]> {
  const claimed = await claimQuery(o).execute(db);
  const ids = claimed.rows.map((r) => r.id);
  if (ids.length === 0) return [];
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .innerJoin('outbox_events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'd.webhook_id', 'd.event_id', 'd.order_key', 'd.attempts', 'w.url', 'w.secret', 'e.type', 'e.payload', 'e.created_at as event_created_at'])
    .where('d.id', 'in', ids)
    .orderBy('d.event_id')
    .execute();
}

export interface ClaimOptions {
  now: string;
  lockedUntil: string;
  limit: number;
  postgres: boolean;
}

/** claimDueDeliveries' claiming statement (exported for the test that examines its plan). */
export function claimQuery(o: ClaimOptions) {
  // Per queue, the first event that blocks the rest: on PostgreSQL any pending one (so only heads are
  // claimable), on SQLite a pending one not due yet or claimed. Found once per queue with one grouped
  // scan — checking each candidate against every earlier delivery of its queue made a claim cost
  // O(pending²): 300 ms with 6,000 pending (npm run bench, checkin-throughput-webhook).
  const blocking = o.postgres ? sql`state = 'pending'` : sql`state = 'pending' and (next_attempt_at > ${o.now} or locked_until >= ${o.now})`;
  const lock = o.postgres ? sql`for update of d skip locked` : sql``;
  return sql<{ id: string }>`
    with blocked as (
      select webhook_id, order_key, min(event_id) as first_event from webhook_deliveries
      where ${blocking}
      group by webhook_id, order_key
    )
    update webhook_deliveries set locked_until = ${o.lockedUntil}
    where id in (
      select d.id from webhook_deliveries d
      left join blocked b on b.webhook_id = d.webhook_id and b.order_key = d.order_key
      where d.state = 'pending' and d.next_attempt_at <= ${o.now}
        and (d.locked_until is null or d.locked_until < ${o.now})
        and (b.first_event is null or d.event_id <= b.first_event)
      order by d.event_id
      limit ${o.limit}
      ${lock}
    )
    returning id`;
}

/** The outcome of one attempt, as the job records it. */
export type AttemptOutcome =
  | { id: string; kind: 'delivered'; status: number; at: string }
  | { id: string; kind: 'failed'; status: number | null; error: string; nextAttemptAt: string; giveUp: boolean }
  | { id: string; kind: 'released' };

/**
 * Records a batch of attempt outcomes in one transaction: delivered (2xx), failed (pending again at
 * `nextAttemptAt`, or `failed` when `giveUp`), or released unsent (a later delivery of a run whose
 * earlier one failed). Only rows still pending change.
 */
export async function recordOutcomes(db: Db, outcomes: readonly AttemptOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await db.transaction().execute(async (trx) => {
    // The delivered ones in one statement per answer status (nearly always one): each keeps the
    // instant of its own answer. (Grouping by status and instant together made a statement per
    // millisecond: a third of the rows each, npm run bench, checkin-throughput-webhook.)
    const delivered = new Map<number, { id: string; at: string }[]>();
    const released: string[] = [];
    for (const o of outcomes) {
      if (o.kind === 'delivered') {
        const same = delivered.get(o.status);
        if (same) same.push(o);
        else delivered.set(o.status, [o]);
      } else if (o.kind === 'released') released.push(o.id);
      else {
        await trx
          .updateTable('webhook_deliveries')
          .set((eb) => ({
            state: o.giveUp ? 'failed' : 'pending',
            attempts: eb('attempts', '+', 1),
            last_status: o.status,
            last_error: o.error,
            next_attempt_at: o.nextAttemptAt,
            locked_until: null,
          }))
          .where('id', '=', o.id)
          .where('state', '=', 'pending')
          .execute();
      }
    }
    for (const [status, rows] of delivered) {
      const at = sql<string>`case id ${sql.join(rows.map((r) => sql`when ${r.id} then ${r.at}`), sql` `)} end`;
      await trx
        .updateTable('webhook_deliveries')
        .set((eb) => ({ state: 'delivered', attempts: eb('attempts', '+', 1), last_status: status, last_error: null, delivered_at: at, locked_until: null }))
        .where('id', 'in', rows.map((r) => r.id))
        .where('state', '=', 'pending')
        .execute();
    }
    if (released.length > 0) {
      await trx.updateTable('webhook_deliveries').set({ locked_until: null }).where('id', 'in', released).where('state', '=', 'pending').execute();
    }
  });
}

/**
 * Deletes events older than `before` whose every delivery was delivered (or that nobody wanted);
 * their deliveries go with them (cascade). Bounded per call so a large backlog never holds the
 * write lock for long.
 */
export async function pruneDeliveredEvents(db: Db, before: string, limit: number): Promise<number> {
  const doomed = await db
    .selectFrom('outbox_events as e')
    .select('e.id')
    .where('e.created_at', '<', before)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id').where('d.state', '!=', 'delivered'))),
    )
    .limit(limit)
    .execute();
  if (doomed.length === 0) return 0;
  const ids = doomed.map((r) => r.id);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('webhook_deliveries').where('event_id', 'in', ids).execute();
    await trx.deleteFrom('outbox_events').where('id', 'in', ids).execute();
  });
  return ids.length;
}

/** Pending and failed deliveries, and when the oldest pending one was created. */
export async function outboxFigures(db: Db): Promise<{ pending: number; failed: number; oldestPendingAt: string | null }> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select(['state', (eb) => eb.fn.countAll<number | string | bigint>().as('n'), (eb) => eb.fn.min('created_at').as('oldest')])
    .where('state', 'in', ['pending', 'failed'])
    .groupBy('state')
    .execute();
  const pending = rows.find((r) => r.state === 'pending');
  const failed = rows.find((r) => r.state === 'failed');
  return { pending: Number(pending?.n ?? 0), failed: Number(failed?.n ?? 0), oldestPendingAt: pending?.oldest ?? null };
}

const SYNC_CHUNK = 500;

// One record (a check-in's response, every time an endpoint exists): compiled once, see hot-query.ts.
const oneRecordStatesQuery = hotQuery((db: Db, recordId: string) =>
  db
    .selectFrom('webhook_deliveries as d')
    .select('d.state')
    .where('d.event_id', '=', (eb) => eb.selectFrom('outbox_events as l').select((l) => l.fn.max('l.id').as('latest')).where('l.record_id', '=', recordId)),
);

/**
 * Each record's latest outbox event and its deliveries' states. Chunked: SQLite caps the number of
 * bound parameters of one statement.
 */
export async function latestEventDeliveryStates(db: Db, recordIds: readonly string[]): Promise<{ record_id: string; state: DeliveryState }[]> {
  if (recordIds.length === 1) {
    const { rows } = await oneRecordStatesQuery(db, recordIds[0]);
    return rows.map((r) => ({ record_id: recordIds[0], state: r.state }));
  }
  const out: { record_id: string; state: DeliveryState }[] = [];
  for (let i = 0; i < recordIds.length; i += SYNC_CHUNK) {
    const chunk = recordIds.slice(i, i + SYNC_CHUNK);
    const rows = await db
      .selectFrom('outbox_events as e')
      .innerJoin('webhook_deliveries as d', 'd.event_id', 'e.id')
      .select(['e.record_id', 'd.state'])
      .where('e.record_id', 'in', chunk)
      .where('e.id', '=', (eb) =>
        eb.selectFrom('outbox_events as l').select((l) => l.fn.max('l.id').as('latest')).whereRef('l.record_id', '=', 'e.record_id'),
      )
      .execute();
    for (const r of rows) if (r.record_id) out.push({ record_id: r.record_id, state: r.state });
  }
  return out;
}
