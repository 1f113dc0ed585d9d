import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { AttendanceRecord } from '../../../common/attendance.schemas.js';
import type { AuditEvent, AuditQuery, MarkRecordInput, WsSessionRef } from '../../../common/roll-call.schemas.js';
import type { Database } from '../../db/database.js';
import { AppError, forbidden, notFound } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { listSessionAudit } from '../audit/audit.repository.js';
import { assertCanViewCourse, assertCourseStaff, type Actor } from '../courses/courses.service.js';
import { findSessionById as findSession, type SessionRow } from '../sessions/sessions.repository.js';
import { assertSessionStaff } from '../live-sessions/live-sessions.service.js';
import { isEnrolled } from '../enrollments/enrollments.repository.js';
import { writeRecords } from './record-writer.js';
import { findRecord } from './records.repository.js';
import { toRecord } from './records.service.js';

type Db = Kysely<Database>;

export const noActiveSession = (detail = 'This course has no open session right now.') =>
  new AppError(409, 'no_active_session', 'No active session', detail);

export interface MarkResult {
  record: AttendanceRecord;
  /** This call created the record (a roll-call mark of a student with no record yet). */
  created: boolean;
  /** Something changed (false for a mark that repeats the record as it is). */
  changed: boolean;
}

/**
 * Roll call and later edits: sets a student's status in a session (open, or closed for edits after
 * the fact) through the write command. A new record gets method `rollcall`; an existing one keeps
 * its method. Concurrent marks queue on the record's row and the last one wins, each audited; with
 * `expectedVersion` a stale mark is 409 `conflict` instead.
 */
export async function markRecord(
  app: FastifyInstance,
  actor: Actor,
  sessionId: string,
  studentId: string,
  input: MarkRecordInput,
): Promise<MarkResult> {
  await assertSessionStaff(app.db, actor, sessionId);
  const { changes, record } = await writeRecords(app, {
    type: 'mark',
    sessionId,
    studentId,
    status: input.status,
    note: input.note,
    expectedVersion: input.expectedVersion,
    actorId: actor.userId,
  });
  return { record: record!, created: changes.some((c) => c.kind === 'created'), changed: changes.length > 0 };
}

/** Deletes a record (admins only: the route enforces it); the audit event keeps the whole record as `before`. */
export async function deleteRecord(app: FastifyInstance, actor: Actor, sessionId: string, studentId: string, reason: string | null): Promise<void> {
  const session = await findSession(app.db, sessionId);
  if (!session) throw notFound('Session');
  await writeRecords(app, { type: 'delete', sessionId, studentId, actorId: actor.userId, reason });
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
