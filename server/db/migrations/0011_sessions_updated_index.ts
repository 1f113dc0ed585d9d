import type { Kysely } from 'kysely';

// Frozen. Each node's open-session cache asks every second only for the sessions changed since its
// last look (`updated_at >= …`): with this index that costs the same with 20 or 5,000 sessions.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('sessions_updated_idx').on('sessions').column('updated_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_updated_idx').execute();
}
