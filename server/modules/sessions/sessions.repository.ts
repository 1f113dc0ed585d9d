import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, SessionKind, SessionState, SessionsTable } from '../../db/database.js';
import { courseIdsTakenBy, courseIdsTaughtBy } from '../courses/courses.repository.js';

export type SessionRow = Selectable<SessionsTable>;
export type SessionWithCourseRow = SessionRow & { course_code: string; course_name: string };
type Db = Kysely<Database>;

export function findSessionById(db: Db, id: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findSessionsByIds(db: Db, ids: string[]): Promise<SessionRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('sessions').selectAll().where('id', 'in', ids).orderBy('starts_at').orderBy('id').execute();
}

export async function insertSessions(db: Db, rows: SessionRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    await db.insertInto('sessions').values(rows.slice(i, i + 200)).execute();
  }
}

/** Edits a session only while it is scheduled, bumping its version; undefined when it is not. */
export function updateScheduledSession(db: Db, id: string, patch: Updateable<SessionsTable>): Promise<SessionRow | undefined> {
  return db
    .updateTable('sessions')
    .set(patch)
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .where('state', '=', 'scheduled')
    .returningAll()
    .executeTakeFirst();
}

/** Moves a session to `to` only if it is still in one of `from`; undefined when it was not. */
export function transitionSession(
  db: Db,
  id: string,
  from: SessionState[],
  patch: Updateable<SessionsTable> & { state: SessionState },
): Promise<SessionRow | undefined> {
  return db
    .updateTable('sessions')
    .set(patch)
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .where('state', 'in', from)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteSessionRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

/** Every session id of a course, whatever its kind or state. */
export async function courseSessionIds(db: Db, courseId: string): Promise<string[]> {
  const rows = await db.selectFrom('sessions').select('id').where('course_id', '=', courseId).execute();
  return rows.map((r) => r.id);
}

/** Ids of the course's sessions that are open now. */
export async function openSessionIdsOfCourse(db: Db, courseId: string): Promise<string[]> {
  const rows = await db.selectFrom('sessions').select('id').where('course_id', '=', courseId).where('state', '=', 'open').execute();
  return rows.map((r) => r.id);
}

/** The course's sessions of one kind in numbering order: start time, then creation. */
export function courseSessionsInOrder(
  db: Db,
  courseId: string,
  kind: SessionKind,
): Promise<Pick<SessionRow, 'id' | 'number' | 'starts_at' | 'state' | 'opened_at'>[]> {
  return db
    .selectFrom('sessions')
    .select(['id', 'number', 'starts_at', 'state', 'opened_at'])
    .where('course_id', '=', courseId)
    .where('kind', '=', kind)
    .orderBy('starts_at')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Renumbering changes what calendars show, so it counts as an update. */
export async function setSessionNumber(db: Db, id: string, number: number | null, now: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set((eb) => ({ number, updated_at: now, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .execute();
}

export interface SessionFilter {
  courseId?: string;
  /** Only sessions of courses this user teaches. */
  teacherId?: string;
  /** Only sessions of courses this student is enrolled in. */
  studentId?: string;
  /** Inclusive lower bound on starts_at (ISO UTC). */
  from?: string;
  /** Exclusive upper bound on starts_at (ISO UTC). */
  to?: string;
  state?: SessionState;
  limit: number;
  /** Keyset: after this [starts_at, id]. */
  after?: [string, string];
}

/** Sessions with their course's code and name, by start time; fetches one extra row to know if there is more. */
export async function listSessions(db: Db, f: SessionFilter): Promise<{ rows: SessionWithCourseRow[]; more: boolean }> {
  let q = db
    .selectFrom('sessions')
    .innerJoin('courses', 'courses.id', 'sessions.course_id')
    .selectAll('sessions')
    .select(['courses.code as course_code', 'courses.name as course_name'])
    .orderBy('sessions.starts_at')
    .orderBy('sessions.id')
    .limit(f.limit + 1);
  if (f.courseId) q = q.where('sessions.course_id', '=', f.courseId);
  if (f.teacherId) q = q.where('sessions.course_id', 'in', courseIdsTaughtBy(db, f.teacherId));
  if (f.studentId) q = q.where('sessions.course_id', 'in', courseIdsTakenBy(db, f.studentId));
  if (f.from) q = q.where('sessions.starts_at', '>=', f.from);
  if (f.to) q = q.where('sessions.starts_at', '<', f.to);
  if (f.state) q = q.where('sessions.state', '=', f.state);
  if (f.after) {
    const [startsAt, id] = f.after;
    q = q.where((eb) =>
      eb.or([eb('sessions.starts_at', '>', startsAt), eb.and([eb('sessions.starts_at', '=', startsAt), eb('sessions.id', '>', id)])]),
    );
  }
  const rows = await q.execute();
  const more = rows.length > f.limit;
  if (more) rows.pop();
  return { rows, more };
}
