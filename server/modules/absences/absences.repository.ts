import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type {
  AbsenceAttachmentsTable,
  AbsenceState,
  AbsencesTable,
  Database,
} from '../../db/database.js';
import { courseIdsTaughtBy } from '../courses/courses.repository.js';

type Db = Kysely<Database>;

export type AbsenceRow = Selectable<AbsencesTable>;
export type AttachmentRow = Selectable<AbsenceAttachmentsTable>;
/** An absence with what lists show: the student's name and number, the course's code and name. */
export type AbsenceViewRow = AbsenceRow & {
  student_name: string;
  student_number: string | null;
  course_code: string;
  course_name: string;
};

const CHUNK = 500;

function viewQuery(db: Db) {
  return db
    .selectFrom('absences')
    .innerJoin('users', 'users.id', 'absences.student_id')
    .innerJoin('courses', 'courses.id', 'absences.course_id')
    .selectAll('absences')
    .select([
      'users.name as student_name',
      'users.student_number as student_number',
      'courses.code as course_code',
      'courses.name as course_name',
    ]);
}

export function findAbsenceView(db: Db, id: string): Promise<AbsenceViewRow | undefined> {
  return viewQuery(db).where('absences.id', '=', id).executeTakeFirst();
}

export interface AbsenceFilter {
  studentId?: string;
  courseId?: string;
  /** Only courses this teacher teaches. */
  teacherId?: string;
  state?: AbsenceState;
  /** Only requests covering this session. */
  sessionId?: string;
  limit: number;
  /** Keyset: ids are time-ordered, newest first. */
  beforeId?: string;
}

export async function listAbsenceViews(db: Db, f: AbsenceFilter): Promise<{ rows: AbsenceViewRow[]; more: boolean }> {
  let q = viewQuery(db).orderBy('absences.id', 'desc').limit(f.limit + 1);
  if (f.studentId) q = q.where('absences.student_id', '=', f.studentId);
  if (f.courseId) q = q.where('absences.course_id', '=', f.courseId);
  if (f.teacherId) q = q.where('absences.course_id', 'in', courseIdsTaughtBy(db, f.teacherId));
  if (f.state) q = q.where('absences.state', '=', f.state);
  if (f.sessionId) {
    const sessionId = f.sessionId;
    q = q.where('absences.id', 'in', (eb) => eb.selectFrom('absence_sessions').select('absence_id').where('session_id', '=', sessionId));
  }
  if (f.beforeId) q = q.where('absences.id', '<', f.beforeId);
  const rows = await q.execute();
  const more = rows.length > f.limit;
  if (more) rows.pop();
  return { rows, more };
}

export async function countAbsences(db: Db, f: { teacherId?: string; state: AbsenceState }): Promise<number> {
  let q = db
    .selectFrom('absences')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', '=', f.state);
  if (f.teacherId) q = q.where('course_id', 'in', courseIdsTaughtBy(db, f.teacherId));
  return Number((await q.executeTakeFirstOrThrow()).n);
}

export async function insertAbsence(db: Db, row: AbsenceRow, sessionIds: string[]): Promise<void> {
  await db.insertInto('absences').values(row).execute();
  for (let i = 0; i < sessionIds.length; i += CHUNK) {
    await db
      .insertInto('absence_sessions')
      .values(sessionIds.slice(i, i + CHUNK).map((session_id) => ({ absence_id: row.id, session_id })))
      .execute();
  }
}

/**
 * Moves a request from one of `from` to a new state in one conditional UPDATE: of two deciders
 * racing, exactly one matches the row; the other gets undefined (→ 409).
 */
export function transitionAbsence(
  db: Db,
  id: string,
  from: AbsenceState[],
  patch: Updateable<AbsencesTable> & { state: AbsenceState; updated_at: string },
): Promise<AbsenceRow | undefined> {
  return db.updateTable('absences').set(patch).where('id', '=', id).where('state', 'in', from).returningAll().executeTakeFirst();
}

/**
 * Locks a pending request for the rest of the transaction (a no-op write takes the row lock on
 * PostgreSQL; SQLite transactions are serialised anyway); undefined when it is not pending.
 */
export function lockPendingAbsence(db: Db, id: string): Promise<AbsenceRow | undefined> {
  return db
    .updateTable('absences')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
}

export async function sessionIdsByAbsence(db: Db, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db
      .selectFrom('absence_sessions')
      .innerJoin('sessions', 'sessions.id', 'absence_sessions.session_id')
      .select(['absence_sessions.absence_id', 'absence_sessions.session_id'])
      .where('absence_sessions.absence_id', 'in', ids.slice(i, i + CHUNK))
      .orderBy('sessions.starts_at')
      .orderBy('sessions.id')
      .execute();
    for (const r of rows) {
      const list = out.get(r.absence_id) ?? [];
      list.push(r.session_id);
      out.set(r.absence_id, list);
    }
  }
  return out;
}

export async function attachmentsByAbsence(db: Db, ids: string[]): Promise<Map<string, AttachmentRow[]>> {
  const out = new Map<string, AttachmentRow[]>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db
      .selectFrom('absence_attachments')
      .selectAll()
      .where('absence_id', 'in', ids.slice(i, i + CHUNK))
      .orderBy('id')
      .execute();
    for (const r of rows) {
      const list = out.get(r.absence_id) ?? [];
      list.push(r);
      out.set(r.absence_id, list);
    }
  }
  return out;
}

export function findAttachment(db: Db, absenceId: string, attachmentId: string): Promise<AttachmentRow | undefined> {
  return db
    .selectFrom('absence_attachments')
    .selectAll()
    .where('absence_id', '=', absenceId)
    .where('id', '=', attachmentId)
    .executeTakeFirst();
}

export async function countAttachments(db: Db, absenceId: string): Promise<number> {
  const r = await db
    .selectFrom('absence_attachments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('absence_id', '=', absenceId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertAttachment(db: Db, row: Insertable<AbsenceAttachmentsTable>): Promise<void> {
  await db.insertInto('absence_attachments').values(row).execute();
}

export function deleteAttachmentRow(db: Db, absenceId: string, attachmentId: string): Promise<AttachmentRow | undefined> {
  return db
    .deleteFrom('absence_attachments')
    .where('absence_id', '=', absenceId)
    .where('id', '=', attachmentId)
    .returningAll()
    .executeTakeFirst();
}

/** Whether any attachment still names this content. */
export async function isContentReferenced(db: Db, sha256: string): Promise<boolean> {
  const r = await db.selectFrom('absence_attachments').select('id').where('sha256', '=', sha256).limit(1).executeTakeFirst();
  return r !== undefined;
}

/** Of `ids`, the course's sessions (any state), in start order. */
export function courseSessionsByIds(db: Db, courseId: string, ids: string[]) {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('course_id', '=', courseId)
    .where('id', 'in', ids)
    .orderBy('starts_at')
    .orderBy('id')
    .execute();
}

/** The course's sessions starting in [fromIso, toIso), in start order. */
export function courseSessionsInRange(db: Db, courseId: string, fromIso: string, toIso: string) {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('course_id', '=', courseId)
    .where('starts_at', '>=', fromIso)
    .where('starts_at', '<', toIso)
    .orderBy('starts_at')
    .orderBy('id')
    .execute();
}

/** The sessions a request covers, in start order. */
export async function coveredSessionIds(db: Db, absenceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('absence_sessions')
    .innerJoin('sessions', 'sessions.id', 'absence_sessions.session_id')
    .select('absence_sessions.session_id')
    .where('absence_sessions.absence_id', '=', absenceId)
    .orderBy('sessions.starts_at')
    .orderBy('sessions.id')
    .execute();
  return rows.map((r) => r.session_id);
}

/** Students with an approved request covering the session: who the close makes `excused`, by request. */
export function approvedCoverage(db: Db, sessionId: string): Promise<{ student_id: string; absence_id: string }[]> {
  return db
    .selectFrom('absence_sessions')
    .innerJoin('absences', 'absences.id', 'absence_sessions.absence_id')
    .select(['absences.student_id', 'absences.id as absence_id'])
    .where('absence_sessions.session_id', '=', sessionId)
    .where('absences.state', '=', 'approved')
    .orderBy('absences.id')
    .execute();
}

/** Requests (not withdrawn) covering a session, newest first: shown next to records in roll call and reports. */
export function absencesForSessions(db: Db, sessionIds: string[], studentId?: string) {
  let q = db
    .selectFrom('absence_sessions')
    .innerJoin('absences', 'absences.id', 'absence_sessions.absence_id')
    .select([
      'absence_sessions.session_id',
      'absences.id',
      'absences.student_id',
      'absences.state',
      'absences.category',
      'absences.reason',
    ])
    .where('absence_sessions.session_id', 'in', sessionIds)
    .where('absences.state', '!=', 'withdrawn')
    .orderBy('absences.id', 'desc');
  if (studentId) q = q.where('absences.student_id', '=', studentId);
  return q.execute();
}
