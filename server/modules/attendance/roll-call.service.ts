import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { AttendanceRecord } from '../../../common/attendance.schemas.js';
import type { AuditEvent, AuditQuery, MarkRecordInput, WsSessionRef } from '../../../common/roll-call.schemas.js';
import type { Database } from '../../db/database.js';
import { AppError, conflict, forbidden, notFound } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { newId, nowIso } from '../../lib/ids.js';
import { insertAudit, listSessionAudit } from '../audit/audit.repository.js';
import { assertCanViewCourse, assertCourseStaff, type Actor } from '../courses/courses.service.js';
import { findSessionById as findSession, type SessionRow } from '../sessions/sessions.repository.js';
import { assertSessionStaff } from '../live-sessions/live-sessions.service.js';
import { isEnrolled } from '../enrollments/enrollments.repository.js';
import { findRecord, insertRecordIfAbsent, updateRecordRow, type RecordRow } from './records.repository.js';
import { publishRecordChange, sessionTopic, toRecord } from './records.service.js';

type Db = Kysely<Database>;

const invalidState = (detail: string) => new AppError(409, 'invalid_state', 'Invalid session state', detail);
const notEnrolled = () =>
  new AppError(403, 'not_enrolled', 'Not enrolled', 'This student is not enrolled in the course of this session.');
export const noActiveSession = (detail = 'This course has no open session right now.') =>
  new AppError(409, 'no_active_session', 'No active session', detail);

/** Sessions whose records can be marked and edited: open ones, and closed ones (edits after the fact). */
const MARKABLE = new Set(['open', 'closed']);

function lockedRecord(trx: Db, dialect: FastifyInstance['dialect'], sessionId: string, studentId: string) {
  let q = trx.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).where('student_id', '=', studentId);
  // SQLite transactions are serialised already; PostgreSQL needs the row lock so concurrent marks queue up.
  if (dialect === 'postgres') q = q.forUpdate();
  return q.executeTakeFirst();
}

export interface MarkResult {
  record: AttendanceRecord;
  /** This call created the record (a roll-call mark of a student with no record yet). */
  created: boolean;
  /** Something changed (false for a mark that repeats the record as it is). */
  changed: boolean;
}

/**
 * Roll call and later edits: sets a student's status in a session (open, or closed for edits after
 * the fact). A new record gets method `rollcall`; an existing one keeps its method. The record is
 * confirmed, its version goes up, and the change is audited (before, after, the note as reason) in
 * the same transaction. Concurrent marks queue on the record's row and the last one wins, each
 * audited; with `expectedVersion` a stale mark is 409 `conflict` instead.
 */
export async function markRecord(
  app: FastifyInstance,
  actor: Actor,
  sessionId: string,
  studentId: string,
  input: MarkRecordInput,
): Promise<MarkResult> {
  const session = await assertSessionStaff(app.db, actor, sessionId);
  if (!MARKABLE.has(session.state)) {
    throw invalidState(
      session.state === 'cancelled' ? 'The session was cancelled; it has no attendance.' : 'The session has not been opened yet: open it first.',
    );
  }
  const now = nowIso();
  const outcome = await app.db.transaction().execute(async (trx) => {
    let sq = trx.selectFrom('sessions').select('state').where('id', '=', sessionId);
    if (app.dialect === 'postgres') sq = sq.forShare();
    const current = await sq.executeTakeFirst();
    if (!current || !MARKABLE.has(current.state)) throw invalidState(`The session is ${current?.state ?? 'gone'}.`);

    let before = await lockedRecord(trx, app.dialect, sessionId, studentId);
    if (!before) {
      if (!(await isEnrolled(trx, session.course_id, studentId))) throw notEnrolled();
      if (input.expectedVersion !== undefined) {
        throw conflict('This student has no record yet (it may have been deleted); reload and mark again.');
      }
      const row: RecordRow = {
        id: newId(),
        session_id: sessionId,
        student_id: studentId,
        status: input.status,
        state: 'confirmed',
        method: 'rollcall',
        checked_in_at: input.status === 'present' || input.status === 'late' ? now : null,
        updated_at: now,
        updated_by: actor.userId,
        note: input.note ?? null,
        flags: '[]',
        browser_id: null,
        absence_id: null,
        version: 1,
      };
      if (await insertRecordIfAbsent(trx, row)) {
        await insertAudit(trx, {
          actorId: actor.userId,
          action: 'record.marked',
          entity: 'record',
          entityId: row.id,
          sessionId,
          studentId,
          after: toRecord(row),
          reason: row.note,
        });
        return { row, created: true, changed: true };
      }
      // Another mark or check-in created it meanwhile: this mark becomes an edit of it.
      before = await lockedRecord(trx, app.dialect, sessionId, studentId);
      if (!before) throw conflict('The record changed meanwhile; try again.');
    }
    if (input.expectedVersion !== undefined && input.expectedVersion !== before.version) {
      throw conflict(`The record is at version ${before.version}, not ${input.expectedVersion}: someone changed it meanwhile. Reload it.`);
    }
    const note = input.note === undefined ? before.note : input.note;
    if (before.status === input.status && before.state === 'confirmed' && before.note === note) {
      return { row: before, created: false, changed: false };
    }
    const marksArrival = input.status === 'present' || input.status === 'late';
    const updated = await updateRecordRow(
      trx,
      before.id,
      {
        status: input.status,
        state: 'confirmed',
        note,
        checked_in_at: before.checked_in_at ?? (marksArrival ? now : null),
        updated_at: now,
        updated_by: actor.userId,
      },
      before.version,
    );
    if (!updated) throw conflict('The record changed meanwhile; try again.');
    await insertAudit(trx, {
      actorId: actor.userId,
      action: 'record.updated',
      entity: 'record',
      entityId: before.id,
      sessionId,
      studentId,
      before: toRecord(before),
      after: toRecord(updated),
      reason: input.note ?? null,
    });
    return { row: updated, created: false, changed: true };
  });
  if (outcome.changed) publishRecordChange(app, session.course_id, { event: 'RECORD_UPDATED', row: outcome.row });
  return { record: toRecord(outcome.row), created: outcome.created, changed: outcome.changed };
}

/**
 * Deletes a record (admins only: the route enforces it). The audit event keeps the whole record as
 * `before`; the staff see RECORD_DELETED and a new summary.
 */
export async function deleteRecord(app: FastifyInstance, actor: Actor, sessionId: string, studentId: string, reason: string | null): Promise<void> {
  const session = await findSession(app.db, sessionId);
  if (!session) throw notFound('Session');
  const deleted = await app.db.transaction().execute(async (trx) => {
    const row = await trx
      .deleteFrom('attendance_records')
      .where('session_id', '=', sessionId)
      .where('student_id', '=', studentId)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('Record');
    await insertAudit(trx, {
      actorId: actor.userId,
      action: 'record.deleted',
      entity: 'record',
      entityId: row.id,
      sessionId,
      studentId,
      before: toRecord(row),
      reason,
    });
    return row;
  });
  try {
    app.bus.publish(sessionTopic(sessionId), 'RECORD_DELETED', { sessionId, studentId, recordId: deleted.id });
    app.summaries.schedule(sessionId, session.course_id);
  } catch (err) {
    app.log.warn({ err, sessionId }, 'could not publish a record deletion');
  }
}

/** The most recently opened open session of a course, or 409 `no_active_session`. */
export async function openSessionOfCourse(db: Db, courseId: string): Promise<SessionRow> {
  const row = await db
    .selectFrom('sessions')
    .selectAll()
    .where('course_id', '=', courseId)
    .where('state', '=', 'open')
    .orderBy('opened_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (!row) throw noActiveSession();
  return row;
}

/**
 * The session a seed-001 socket event names: `sessionId`, or `classId` (a course id: that course's
 * open session). The caller must still be allowed to see the course (403 before 409, so a
 * stranger cannot probe which courses are running).
 */
export async function resolveSessionRef(db: Db, actor: Actor, ref: WsSessionRef): Promise<SessionRow> {
  if (ref.sessionId !== undefined) {
    const row = await findSession(db, ref.sessionId);
    if (!row) throw notFound('Session');
    return row;
  }
  const courseId = ref.classId as string;
  if (actor.role === 'student') await assertCanViewCourse(db, actor, courseId);
  else await assertCourseStaff(db, actor, courseId);
  return openSessionOfCourse(db, courseId);
}

/** A student's own record in a session (seed 001's MY_ATTENDANCE); 403 unless enrolled or recorded. */
export async function ownRecord(db: Db, studentId: string, session: SessionRow): Promise<AttendanceRecord | null> {
  const row = await findRecord(db, session.id, studentId);
  if (!row && !(await isEnrolled(db, session.course_id, studentId))) throw forbidden('You are not enrolled in the course of this session.');
  return row ? toRecord(row) : null;
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

type AuditRow = Awaited<ReturnType<typeof listSessionAudit>>[number];

function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    actorId: row.actor_id,
    actorName: row.actor_name ?? null,
    action: row.action,
    studentId: row.student_id,
    before: parseJson(row.before),
    after: parseJson(row.after),
    reason: row.reason,
  };
}

/** The session's audit trail for its staff: every record event and the session's own, newest first. */
export async function sessionAuditPage(app: FastifyInstance, actor: Actor, sessionId: string, query: AuditQuery) {
  await assertSessionStaff(app.db, actor, sessionId);
  const cursor = query.cursor ? decodeCursor(query.cursor, 2) : undefined;
  const rows = await listSessionAudit(app.db, {
    sessionId,
    studentId: query.studentId,
    before: cursor ? { at: cursor[0], id: cursor[1] } : undefined,
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toAuditEvent),
    nextCursor: rows.length > query.limit && last ? encodeCursor([last.at, last.id]) : null,
  };
}

/** Reasons a student may not read verbatim: they can name another student. */
const PRIVATE_REASONS: Record<string, string> = {
  'record.flagged': 'flagged for the teacher to review',
};

const HISTORY_MAX = 500;

/** A student's own record in a session and its history (every change, who made it and why), newest first. */
export async function ownRecordHistory(app: FastifyInstance, actor: Actor, sessionId: string) {
  const session = await findSession(app.db, sessionId);
  if (!session) throw notFound('Session');
  const record = await ownRecord(app.db, actor.userId, session);
  const rows = await listSessionAudit(app.db, { sessionId, studentId: actor.userId, limit: HISTORY_MAX });
  return {
    record,
    items: rows.map((r) => {
      const e = toAuditEvent(r);
      return PRIVATE_REASONS[e.action] ? { ...e, reason: PRIVATE_REASONS[e.action] } : e;
    }),
  };
}
