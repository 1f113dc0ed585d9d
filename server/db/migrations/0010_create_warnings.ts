import { type Kysely, sql } from 'kysely';

// Frozen: portable across SQLite and PostgreSQL (text ids and ISO times, integer booleans).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('guardian_email', 'text').execute();

  // A course's warning rules; 0 in consecutive_absences turns that rule off.
  await db.schema.alterTable('courses').addColumn('warn_below_threshold', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('courses').addColumn('warn_consecutive_absences', 'integer', (c) => c.notNull().defaultTo(3)).execute();
  await db.schema.alterTable('courses').addColumn('warn_cannot_reach', 'integer', (c) => c.notNull().defaultTo(1)).execute();

  await db.schema
    .createTable('warnings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('course_id', 'text', (c) => c.notNull().references('courses.id').onDelete('cascade'))
    .addColumn('student_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql.raw("kind in ('below_threshold', 'consecutive_absences', 'cannot_reach_threshold')")),
    )
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql.raw("state in ('open', 'resolved')")))
    // "<course>:<student>:<kind>" while open, NULL once resolved: the unique constraint allows one open
    // warning per student × course × kind (NULLs never collide on either database), so two nodes
    // evaluating the same change cannot both open one.
    .addColumn('open_key', 'text', (c) => c.unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .execute();
  await db.schema.createIndex('warnings_course_state_idx').on('warnings').columns(['course_id', 'state', 'student_id']).execute();
  await db.schema.createIndex('warnings_student_state_idx').on('warnings').columns(['student_id', 'state']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('warnings').execute();
  for (const c of ['warn_cannot_reach', 'warn_consecutive_absences', 'warn_below_threshold']) {
    await db.schema.alterTable('courses').dropColumn(c).execute();
  }
  await db.schema.alterTable('users').dropColumn('guardian_email').execute();
}
