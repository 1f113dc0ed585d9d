import type { Kysely } from 'kysely';

// Frozen. An endpoint's deliveries, newest first, all or in one state (the admin's Integrations page,
// GET /api/webhooks/:id/deliveries): found in order by these indexes instead of read whole and sorted.
// With 300,000 deliveries kept (OUTBOX_RETENTION_DAYS of a busy school) a page took about 300 ms on
// SQLite, on the event loop every check-in shares (docs/performance-history.md).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('webhook_deliveries_webhook_id_idx').on('webhook_deliveries').columns(['webhook_id', 'id']).execute();
  await db.schema.createIndex('webhook_deliveries_webhook_state_id_idx').on('webhook_deliveries').columns(['webhook_id', 'state', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_webhook_state_id_idx').execute();
  await db.schema.dropIndex('webhook_deliveries_webhook_id_idx').execute();
}
