import type { Kysely } from 'kysely';

// Frozen. No query reads webhook_deliveries_order_idx (webhook_id, order_key, state, event_id) any
// more: the claim finds each queue's first blocking delivery with one grouped scan of the pending
// ones (webhooks.repository.ts, claimDueDeliveries; its plan on both databases takes
// webhook_deliveries_due_idx). Every delivery wrote it twice — at its insert and when its state
// changed — each time into a page chosen by the session and student (the order key), which on
// SQLite is a WAL frame of the check-in's commit and then of the outcome's (docs/performance-history.md).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_order_idx').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('webhook_deliveries_order_idx').on('webhook_deliveries').columns(['webhook_id', 'order_key', 'state', 'event_id']).execute();
}
