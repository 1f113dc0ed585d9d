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
