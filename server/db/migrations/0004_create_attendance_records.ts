import { type Kysely, sql } from 'kysely';

// Frozen. One record per session × student, enforced here; scans keyed by device + scan_id.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('attendance_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('student_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql.raw(`status in ('present', 'late', 'absent', 'excused')`)))
    .addColumn('state', 'text', (c) => c.notNull().check(sql.raw(`state in ('confirmed', 'pending')`)))
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('checked_in_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('note', 'text')
    .addColumn('flags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('browser_id', 'text')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('attendance_records_session_student_unique', ['session_id', 'student_id'])
    .execute();
  await db.schema.createIndex('attendance_records_student_idx').on('attendance_records').columns(['student_id', 'session_id']).execute();
  await db.schema
    .createIndex('attendance_records_browser_idx')
    .on('attendance_records')
    .columns(['session_id', 'browser_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('attendance_records').execute();
}
