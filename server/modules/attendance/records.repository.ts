import type { Kysely, Selectable } from 'kysely';
import type { AttendanceRecordsTable, Database } from '../../db/database.js';
import type { Summary } from '../../../common/attendance.schemas.js';
import { hotQuery } from '../../db/hot-query.js';

export type RecordRow = Selectable<AttendanceRecordsTable>;
type Db = Kysely<Database>;

export function findRecord(db: Db, sessionId: string, studentId: string): Promise<RecordRow | undefined> {
  return db
    .selectFrom('attendance_records')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('student_id', '=', studentId)
    .executeTakeFirst();
}

const insertRecordQuery = hotQuery((db: Db, r: RecordRow) =>
  db
    .insertInto('attendance_records')
    .values({
      id: r.id,
      session_id: r.session_id,
      student_id: r.student_id,
      status: r.status,
      state: r.state,
      method: r.method,
      checked_in_at: r.checked_in_at,
      updated_at: r.updated_at,
      updated_by: r.updated_by,
      note: r.note,
      flags: r.flags,
      browser_id: r.browser_id,
      version: r.version,
    })
    .onConflict((oc) => oc.columns(['session_id', 'student_id']).doNothing()),
);

/** Inserts unless the session × student already has a record; true when this call inserted it. (Check-in path: a hotQuery.) */
export async function insertRecordIfAbsent(db: Db, row: RecordRow): Promise<boolean> {
  const r = await insertRecordQuery(db, row);
  return Number(r.numAffectedRows ?? 0n) === 1;
}

export function updateRecordRow(db: Db, id: string, patch: Partial<RecordRow>, expectedVersion?: number) {
  let q = db
    .updateTable('attendance_records')
    .set((eb) => ({ ...patch, version: eb('version', '+', 1) }))
    .where('id', '=', id);
  if (expectedVersion !== undefined) q = q.where('version', '=', expectedVersion);
  return q.returningAll().executeTakeFirst();
}

const recordsFromBrowserQuery = hotQuery((db: Db, sessionId: string, browserId: string, studentId: string) =>
  db
    .selectFrom('attendance_records')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('browser_id', '=', browserId)
    .where('student_id', '!=', studentId),
);

/** Records in the session checked in from `browserId` by someone other than `studentId`. (Check-in path: a hotQuery.) */
export async function recordsFromBrowser(db: Db, sessionId: string, browserId: string, studentId: string): Promise<RecordRow[]> {
  return (await recordsFromBrowserQuery(db, sessionId, browserId, studentId)).rows;
}

/** Live counts for a session; `unmarked` is enrolled students without a record. */
/** The course a session belongs to (undefined when there is no such session). */
export async function courseOfSession(db: Db, sessionId: string): Promise<string | undefined> {
  return (await db.selectFrom('sessions').select('course_id').where('id', '=', sessionId).executeTakeFirst())?.course_id;
}

export async function sessionSummary(db: Db, sessionId: string, courseId: string): Promise<Summary> {
  const [enrolledRow, rows] = await Promise.all([
    db
      .selectFrom('enrollments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('course_id', '=', courseId)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('attendance_records')
      .select(['status', 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('session_id', '=', sessionId)
      .groupBy(['status', 'state'])
      .execute(),
  ]);
  const s: Summary = { enrolled: Number(enrolledRow.n), present: 0, late: 0, absent: 0, excused: 0, pending: 0, unmarked: 0 };
  let recorded = 0;
  for (const r of rows) {
    const n = Number(r.n);
    recorded += n;
    if (r.state === 'pending') s.pending += n;
    else s[r.status] += n;
  }
  s.unmarked = Math.max(0, s.enrolled - recorded);
  return s;
}

/** A student's records among the given sessions. */
export function recordsOfStudent(db: Db, studentId: string, sessionIds: string[]): Promise<RecordRow[]> {
  if (sessionIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('attendance_records')
    .selectAll()
    .where('student_id', '=', studentId)
    .where('session_id', 'in', sessionIds)
    .execute();
}

/** Locks and reads a record for change (PostgreSQL row lock; SQLite transactions are serial anyway). */
export function lockRecord(db: Db, dialect: 'sqlite' | 'postgres', sessionId: string, studentId: string): Promise<RecordRow | undefined> {
  let q = db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).where('student_id', '=', studentId);
  if (dialect === 'postgres') q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Pending records of a session (one student's, or all). */
export function pendingRecords(db: Db, sessionId: string, studentId: string | null): Promise<RecordRow[]> {
  let q = db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).where('state', '=', 'pending');
  if (studentId) q = q.where('student_id', '=', studentId);
  return q.orderBy('id').execute();
}

/** Updates a record only while it is still in `state`; the new row, or undefined if it moved on. */
export function updateRecordInState(db: Db, id: string, state: RecordRow['state'], patch: Partial<RecordRow>) {
  return db
    .updateTable('attendance_records')
    .set((eb) => ({ ...patch, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .where('state', '=', state)
    .returningAll()
    .executeTakeFirst();
}

export function deleteRecordRow(db: Db, sessionId: string, studentId: string): Promise<RecordRow | undefined> {
  return db
    .deleteFrom('attendance_records')
    .where('session_id', '=', sessionId)
    .where('student_id', '=', studentId)
    .returningAll()
    .executeTakeFirst();
}

/** Inserts many new records (the close); rows another writer created meanwhile are skipped. Returns those inserted. */
export async function insertRecordsIfAbsent(db: Db, rows: RecordRow[]): Promise<RecordRow[]> {
  const inserted: RecordRow[] = [];
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const ids = await db
      .insertInto('attendance_records')
      .values(chunk)
      .onConflict((oc) => oc.columns(['session_id', 'student_id']).doNothing())
      .returning('id')
      .execute();
    const got = new Set(ids.map((r) => r.id));
    for (const r of chunk) if (got.has(r.id)) inserted.push(r);
  }
  return inserted;
}

/** Enrolled students of the course without a record in the session, with what an event about them shows. */
export function unrecordedStudents(db: Db, sessionId: string, courseId: string) {
  return db
    .selectFrom('enrollments')
    .innerJoin('users', 'users.id', 'enrollments.student_id')
    .select(['users.id', 'users.name', 'users.student_number'])
    .where('enrollments.course_id', '=', courseId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('attendance_records')
            .select('attendance_records.id')
            .where('attendance_records.session_id', '=', sessionId)
            .whereRef('attendance_records.student_id', '=', 'enrollments.student_id'),
        ),
      ),
    )
    .orderBy('users.id')
    .execute();
}

/** Name and number of students (what record events carry). */
export function studentsByIds(db: Db, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('users').select(['id', 'name', 'student_number']).where('id', 'in', ids).execute();
}

/** The `before` of the audit event that excused a record (to revert exactly what the excuse changed). */
export async function beforeExcuse(db: Db, recordId: string): Promise<string | null> {
  const row = await db
    .selectFrom('audit_events')
    .select('before')
    .where('entity', '=', 'record')
    .where('entity_id', '=', recordId)
    .where('action', '=', 'record.excused')
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row?.before ?? null;
}

const sessionStateQuery = {
  sqlite: hotQuery((db: Db, id: string) => db.selectFrom('sessions').select('state').where('id', '=', id)),
  postgres: hotQuery((db: Db, id: string) => db.selectFrom('sessions').select('state').where('id', '=', id).forShare()),
};

/**
 * The session's state inside a record transaction. On PostgreSQL it takes a share lock: a close
 * (which updates the session row) waits for the record change, and the change waits for a close
 * in progress, so no record is written into a session that has just closed. (Check-in path: a hotQuery.)
 */
export async function sessionStateForWrite(db: Db, dialect: 'sqlite' | 'postgres', sessionId: string) {
  return (await sessionStateQuery[dialect](db, sessionId)).rows[0]?.state;
}

/** The session with what record events need of its course; share-locked on PostgreSQL (see sessionStateForWrite). */
export function sessionForWrite(db: Db, dialect: 'sqlite' | 'postgres', sessionId: string) {
  let q = db
    .selectFrom('sessions')
    .innerJoin('courses', 'courses.id', 'sessions.course_id')
    .select([
      'sessions.id',
      'sessions.course_id',
      'sessions.state',
      'sessions.starts_at',
      'sessions.opened_at',
      'courses.code as course_code',
    ])
    .where('sessions.id', '=', sessionId);
  if (dialect === 'postgres') q = q.forShare('sessions');
  return q.executeTakeFirst();
}

/** Every record of a session with its student's name and number, latest check-in first (the live list). */
export function sessionRecordRows(db: Db, sessionId: string) {
  return db
    .selectFrom('attendance_records')
    .innerJoin('users', 'users.id', 'attendance_records.student_id')
    .selectAll('attendance_records')
    .select(['users.name as student_name', 'users.student_number as student_number'])
    .where('attendance_records.session_id', '=', sessionId)
    .orderBy('attendance_records.checked_in_at', 'desc')
    .orderBy('attendance_records.id', 'desc')
    .execute();
}
