import type { Kysely } from 'kysely';

// Frozen. A course's sessions in one state — its held ones for the course report's grid and
// warnings, its open ones — found by course and state together. With only (state, ends_at) and
// (course_id, starts_at) to choose from, SQLite took the state index for "this course's closed
// sessions" (the attendance figure every check-in reply carries, which now compares the state
// unindexed: reports.repository.ts) and walked every closed session of the campus: a check-in cost
// grew with the school's history (0.5 ms more per check-in with 5,000 closed sessions,
// docs/performance-history.md).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('sessions_course_state_starts_idx').on('sessions').columns(['course_id', 'state', 'starts_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_course_state_starts_idx').execute();
}
