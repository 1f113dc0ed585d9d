import { type Kysely, sql } from 'kysely';

// Frozen. Absence requests (seed 004): the request, the sessions it covers and its attachments. The
// records a request excused carry its id (attendance_records.absence_id, 0006), so a revision reverts only those.
// An attachment names its file by SHA-256; the file is shared by every attachment with that hash and
// removed from storage when the last one goes.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('absences')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('student_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('course_id', 'text', (c) => c.notNull().references('courses.id').onDelete('cascade'))
    .addColumn('from_date', 'text')
    .addColumn('to_date', 'text')
    .addColumn('category', 'text', (c) => c.notNull().check(sql.raw(`category in ('illness', 'family', 'official', 'other')`)))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql.raw(`state in ('pending', 'approved', 'denied', 'withdrawn')`)))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .addColumn('decided_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('response', 'text')
    .execute();
  await db.schema.createIndex('absences_course_state_idx').on('absences').columns(['course_id', 'state', 'id']).execute();
  await db.schema.createIndex('absences_student_idx').on('absences').columns(['student_id', 'id']).execute();

  await db.schema
    .createTable('absence_sessions')
    .addColumn('absence_id', 'text', (c) => c.notNull().references('absences.id').onDelete('cascade'))
    .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('absence_sessions_pk', ['absence_id', 'session_id'])
    .execute();
  await db.schema.createIndex('absence_sessions_session_idx').on('absence_sessions').column('session_id').execute();

  await db.schema
    .createTable('absence_attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('absence_id', 'text', (c) => c.notNull().references('absences.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('absence_attachments_absence_idx').on('absence_attachments').columns(['absence_id', 'id']).execute();
  await db.schema.createIndex('absence_attachments_sha_idx').on('absence_attachments').column('sha256').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('absence_attachments').execute();
  await db.schema.dropTable('absence_sessions').execute();
  await db.schema.dropTable('absences').execute();
}
