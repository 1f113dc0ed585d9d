import type { Kysely } from 'kysely';

// Frozen. The course report, the grid and the overview read, for every held session of a course,
// each record's student and status (reports.repository.ts `recordCells`): with the status in the
// index that walk reads the index alone instead of looking every record up in the table (on SQLite
// 13 → 8 ms for 500 students × 60 sessions; docs/performance-history.md).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('attendance_records_session_status_idx').on('attendance_records').columns(['session_id', 'student_id', 'status']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('attendance_records_session_status_idx').execute();
}
