import type { Kysely } from 'kysely';

// Frozen. Every node re-reads its open-session cache in full once a minute: the open sessions and
// those closed in the last two hours (server/modules/checkin/open-sessions.repository.ts). With only
// (state, ends_at) to find the recently closed ones by, that read walked every closed session of the
// school's history, on the event loop, every minute.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('sessions_state_closed_idx').on('sessions').columns(['state', 'closed_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_state_closed_idx').execute();
}
