import type { Kysely } from 'kysely';

// Frozen. The check-in looks for other students' records from the same browser in the session. The
// index led by the session (0004) gave PostgreSQL's planner a choice between it and the other
// indexes that start with the session, and with the statistics of a new or fast-growing table it
// took one of those and walked all the session's records per check-in. Led by the browser, the
// look-up (records.repository.ts, the check-in context statement) has only this index to use.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('attendance_records_browser_idx').execute();
  await db.schema.createIndex('attendance_records_browser_session_idx').on('attendance_records').columns(['browser_id', 'session_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('attendance_records_browser_session_idx').execute();
  await db.schema.createIndex('attendance_records_browser_idx').on('attendance_records').columns(['session_id', 'browser_id']).execute();
}
