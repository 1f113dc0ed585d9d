import { type Kysely, sql } from 'kysely';

// Frozen: portable across SQLite and PostgreSQL (text ids and ISO times, integer booleans, JSON as text).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('courses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('department_id', 'text', (c) => c.references('departments.id').onDelete('set null'))
    .addColumn('term', 'text')
    .addColumn('year_of_study', 'integer')
    .addColumn('threshold_percent', 'integer', (c) => c.notNull().defaultTo(75))
    .addColumn('late_after_minutes', 'integer', (c) => c.notNull().defaultTo(10))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('courses_department_idx').on('courses').column('department_id').execute();

  await db.schema
    .createTable('course_teachers')
    .addColumn('course_id', 'text', (c) => c.notNull().references('courses.id').onDelete('cascade'))
    .addColumn('teacher_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('course_teachers_pk', ['course_id', 'teacher_id'])
    .execute();
  await db.schema.createIndex('course_teachers_teacher_idx').on('course_teachers').columns(['teacher_id', 'course_id']).execute();

  await db.schema
    .createTable('enrollments')
    .addColumn('course_id', 'text', (c) => c.notNull().references('courses.id').onDelete('cascade'))
    .addColumn('student_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('method', 'text', (c) => c.notNull().check(sqlIn('method', ['manual', 'section', 'import', 'self', 'link'])))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('enrollments_pk', ['course_id', 'student_id'])
    .execute();
  await db.schema.createIndex('enrollments_student_idx').on('enrollments').columns(['student_id', 'course_id']).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('course_id', 'text', (c) => c.notNull().references('courses.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('title', 'text')
    .addColumn('starts_at', 'text', (c) => c.notNull())
    .addColumn('ends_at', 'text', (c) => c.notNull())
    .addColumn('venue', 'text')
    .addColumn('state', 'text', (c) =>
      c.notNull().defaultTo('scheduled').check(sqlIn('state', ['scheduled', 'open', 'closed', 'cancelled'])),
    )
    .addColumn('opened_at', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('cancelled_at', 'text')
    .addColumn('cancelled_reason', 'text')
    // The full check-in policy of API.md as JSON; written complete, so readers never merge defaults.
    .addColumn('policy', 'text', (c) => c.notNull())
    // Per-session secret for the rotating code/QR token; set when the session is opened.
    .addColumn('code_secret', 'text')
    // Grows with every change a calendar shows (time, place, title, number, cancellation): the feed's SEQUENCE.
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_course_starts_idx').on('sessions').columns(['course_id', 'starts_at']).execute();
  await db.schema.createIndex('sessions_state_ends_idx').on('sessions').columns(['state', 'ends_at']).execute();
  await db.schema.createIndex('sessions_starts_idx').on('sessions').columns(['starts_at', 'id']).execute();

  await db.schema
    .createTable('calendar_tokens')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    // The feed token is an HMAC of the server secret and this salt: the URL can be shown again, but a
    // copy of the database alone cannot produce it. A new salt revokes the old URL.
    .addColumn('salt', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['calendar_tokens', 'sessions', 'enrollments', 'course_teachers', 'courses']) {
    await db.schema.dropTable(t).execute();
  }
}

function sqlIn(column: string, values: string[]) {
  // CHECK constraints need a raw expression; the values are constants written here, never input.
  return sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);
}
