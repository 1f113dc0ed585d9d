import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { LIMITS } from '../../../common/limits.js';
import {
  defaultPolicy,
  type BulkPreview,
  type BulkSessionsInput,
  type CreateSessionInput,
  type ListSessionsQuery,
  type Session,
  type SessionPolicyPatch,
  type SessionKind,
  type SessionWithCourse,
  type UpdateSessionInput,
} from '../../../common/session.schemas.js';
import type { Database } from '../../db/database.js';
import { AppError, forbidden, notFound, validationFailed, type FieldError } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { newId, nowIso } from '../../lib/ids.js';
import { addDays, daysBetween, isoWeekday, localToUtc } from '../../lib/timezone.js';
import { publishSessionEvent } from '../../realtime/live-events.js';
import { enqueueOutbox, type Subscribers } from '../webhooks/outbox.repository.js';
import { mergePolicy, parsePolicy } from '../checkin/checkin-policy.js';
import { insertAudit } from '../audit/audit.repository.js';
import { lockCourse, type CourseRow } from '../courses/courses.repository.js';
import { assertCourseStaff, canTeachCourse, type Actor } from '../courses/courses.service.js';
import { enrolledStudentIds } from '../enrollments/enrollments.repository.js';
import { createNotifications, pushNotifications } from '../notifications/notifications.service.js';
import {
  courseSessionsInOrder,
  deleteSessionRow,
  findSessionById,
  findSessionsByIds,
  insertSessions,
  listSessions,
  setSessionNumber,
  transitionSession,
  updateScheduledSession,
  type SessionRow,
  type SessionWithCourseRow,
} from './sessions.repository.js';
import { assignNumbers } from './session-numbering.js';

type Db = Kysely<Database>;

/** States whose sessions count in attendance percentages: everything but `cancelled`. */
export const COUNTED_SESSION_STATES = ['scheduled', 'open', 'closed'] as const;

export const invalidState = (detail: string) => new AppError(409, 'invalid_state', 'Invalid session state', detail);

export { mergePolicy, parsePolicy } from '../checkin/checkin-policy.js';

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    courseId: row.course_id,
    kind: row.kind,
    number: row.state === 'cancelled' ? null : row.number,
    title: row.title,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    venue: row.venue,
    state: row.state,
    openedAt: row.opened_at,
    closedAt: row.closed_at,
    cancelledAt: row.cancelled_at,
    cancelledReason: row.cancelled_reason,
    policy: parsePolicy(row.policy),
  };
}

export function toSessionWithCourse(row: SessionWithCourseRow): SessionWithCourse {
  return { ...toSession(row), course: { id: row.course_id, code: row.course_code, name: row.course_name } };
}

/**
 * The session and its course, if the actor may run it (the course's teachers and admins): 404 when
 * it does not exist, 403 for anyone else. The check every staff-only session endpoint starts with.
 */
export async function getSessionForStaff(db: Db, actor: Actor, sessionId: string): Promise<{ session: SessionRow; course: CourseRow }> {
  const session = await findSessionById(db, sessionId);
  if (!session) throw notFound('Session');
  const course = await assertCourseStaff(db, actor, session.course_id);
  return { session, course };
}

/** Whether the user may watch `session:<id>`: an admin, or a teacher of the session's course. */
export async function canStaffSession(db: Db, actor: Actor, sessionId: string): Promise<boolean> {
  const session = await findSessionById(db, sessionId);
  if (!session) return false;
  if (actor.role === 'admin') return true;
  return actor.role === 'teacher' && canTeachCourse(db, actor.userId, session.course_id);
}

/**
 * Renumbers the course's sessions of these kinds (session-numbering.ts: held sessions keep their
 * number, cancelled ones have none); rewrites only the ones that change.
 */
export async function renumberCourseSessions(trx: Db, courseId: string, kinds: Iterable<SessionKind>): Promise<void> {
  const now = nowIso();
  for (const kind of new Set(kinds)) {
    const ordered = await courseSessionsInOrder(trx, courseId, kind);
    const changes = assignNumbers(ordered.map((r) => ({ id: r.id, number: r.number, state: r.state, openedAt: r.opened_at })));
    for (const [id, number] of changes) await setSessionNumber(trx, id, number, now);
  }
}

function checkTimes(startsAt: string, endsAt: string, paths: [string, string] = ['startsAt', 'endsAt']) {
  const start = Date.parse(startsAt);
  const end = Date.parse(endsAt);
  const errors: FieldError[] = [];
  if (!(end > start)) errors.push({ path: paths[1], message: 'must be after the start' });
  else if (end - start > 24 * 3600_000) errors.push({ path: paths[1], message: 'a session lasts at most 24 hours' });
  if (errors.length) throw validationFailed('The session times are invalid.', errors);
}

const utc = (iso: string) => new Date(iso).toISOString();

function newSessionRow(
  course: CourseRow,
  fields: { kind: SessionKind; startsAt: string; endsAt: string; title?: string | null; venue?: string | null; policy?: SessionPolicyPatch },
  now: string,
): SessionRow {
  return {
    id: newId(),
    course_id: course.id,
    kind: fields.kind,
    number: null, // assigned by renumberCourseSessions in the same transaction
    title: fields.title ?? null,
    starts_at: fields.startsAt,
    ends_at: fields.endsAt,
    venue: fields.venue ?? null,
    state: 'scheduled',
    opened_at: null,
    closed_at: null,
    cancelled_at: null,
    cancelled_reason: null,
    policy: JSON.stringify(mergePolicy(defaultPolicy(course.late_after_minutes), fields.policy)),
    code_secret: null,
    version: 1,
    created_at: now,
    updated_at: now,
  };
}

/** Inserts sessions, renumbers the course and audits each; returns them as stored, in start order. */
async function insertAndNumber(db: Db, actor: Actor, course: CourseRow, rows: SessionRow[]): Promise<Session[]> {
  return db.transaction().execute(async (trx) => {
    if (!(await lockCourse(trx, course.id))) throw notFound('Course');
    await insertSessions(trx, rows);
    await renumberCourseSessions(
      trx,
      course.id,
      rows.map((r) => r.kind),
    );
    const stored = await findSessionsByIds(
      trx,
      rows.map((r) => r.id),
    );
    for (const s of stored) {
      await insertAudit(trx, {
        actorId: actor.userId,
        action: 'session.created',
        entity: 'session',
        entityId: s.id,
        sessionId: s.id,
        after: toSession(s),
      });
    }
    return stored.map(toSession);
  });
}

export async function createSession(db: Db, actor: Actor, courseId: string, input: CreateSessionInput): Promise<Session> {
  const course = await assertCourseStaff(db, actor, courseId);
  const startsAt = utc(input.startsAt);
  const endsAt = utc(input.endsAt);
  checkTimes(startsAt, endsAt);
  const [session] = await insertAndNumber(db, actor, course, [newSessionRow(course, { ...input, startsAt, endsAt }, nowIso())]);
  return session;
}

interface PlannedSession {
  date: string;
  weekday: number;
  startsAt: string;
  endsAt: string;
}

/** The dates of a weekly pattern with their UTC start and end (wall-clock times in `timeZone`). */
export function expandWeeklyPattern(input: BulkSessionsInput, timeZone: string): { items: PlannedSession[]; skipped: string[] } {
  const errors: FieldError[] = [];
  const span = daysBetween(input.from, input.until);
  if (span < 0) errors.push({ path: 'until', message: 'must not be before from' });
  if (span > LIMITS.bulkRangeDaysMax) errors.push({ path: 'until', message: `at most ${LIMITS.bulkRangeDaysMax} days after from` });
  if (input.endTime <= input.startTime) errors.push({ path: 'endTime', message: 'must be after startTime' });
  if (errors.length) throw validationFailed('The weekly pattern is invalid.', errors);

  const weekdays = new Set(input.weekdays);
  const skip = new Set(input.skipDates ?? []);
  const items: PlannedSession[] = [];
  const skipped: string[] = [];
  for (let i = 0; i <= span; i++) {
    const date = addDays(input.from, i);
    const weekday = isoWeekday(date);
    if (!weekdays.has(weekday)) continue;
    if (skip.has(date)) {
      skipped.push(date);
      continue;
    }
    items.push({
      date,
      weekday,
      startsAt: localToUtc(date, input.startTime, timeZone).toISOString(),
      endsAt: localToUtc(date, input.endTime, timeZone).toISOString(),
    });
  }
  if (items.length > LIMITS.bulkSessionsMax) {
    throw validationFailed(`The pattern makes ${items.length} sessions; at most ${LIMITS.bulkSessionsMax} at once.`, [
      { path: 'until', message: 'too many sessions' },
    ]);
  }
  return { items, skipped };
}

/** What a bulk request would create, with the numbers the sessions would get; nothing is written. */
export async function previewBulkSessions(
  db: Db,
  actor: Actor,
  courseId: string,
  input: BulkSessionsInput,
  timeZone: string,
): Promise<BulkPreview> {
  await assertCourseStaff(db, actor, courseId);
  const { items, skipped } = expandWeeklyPattern(input, timeZone);
  const existing = await courseSessionsInOrder(db, courseId, input.kind);
  // The same rule as the real insert: new sessions sort after existing ones that start at the same
  // time (they are created later), and held sessions keep their numbers.
  type Slot = { id: string; startsAt: string; number: number | null; state: string; openedAt: string | null };
  const slots: Slot[] = existing.map((r) => ({ id: r.id, startsAt: r.starts_at, number: r.number, state: r.state, openedAt: r.opened_at }));
  items.forEach((item, k) => slots.push({ id: `new:${k}`, startsAt: item.startsAt, number: null, state: 'scheduled', openedAt: null }));
  slots.sort((a, b) => (a.startsAt < b.startsAt ? -1 : a.startsAt > b.startsAt ? 1 : 0)); // stable: existing first on ties
  const changes = assignNumbers(slots);
  const numbered = items.map((item, k) => ({ ...item, number: changes.get(`new:${k}`) ?? 0 }));
  return { timezone: timeZone, items: numbered, skipped };
}

export async function createBulkSessions(
  db: Db,
  actor: Actor,
  courseId: string,
  input: BulkSessionsInput,
  timeZone: string,
): Promise<Session[]> {
  const course = await assertCourseStaff(db, actor, courseId);
  const { items } = expandWeeklyPattern(input, timeZone);
  if (items.length === 0) {
    throw validationFailed('The pattern matches no dates.', [{ path: 'weekdays', message: 'no date between from and until' }]);
  }
  const now = nowIso();
  const rows = items.map((item) =>
    newSessionRow(
      course,
      { kind: input.kind, startsAt: item.startsAt, endsAt: item.endsAt, title: input.title, venue: input.venue, policy: input.policy },
      now,
    ),
  );
  return insertAndNumber(db, actor, course, rows);
}

/**
 * Resolves a from/to pair: a date means whole days in `timeZone` (`to` inclusive), a date-time is
 * taken as is. Returns ISO UTC bounds for `starts_at >= from` and `starts_at < to`.
 */
export function resolveRange(from: string | undefined, to: string | undefined, timeZone: string): { from?: string; to?: string } {
  const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s);
  const lower = from === undefined ? undefined : isDate(from) ? localToUtc(from, '00:00', timeZone).toISOString() : utc(from);
  const upper =
    to === undefined ? undefined : isDate(to) ? localToUtc(addDays(to, 1), '00:00', timeZone).toISOString() : utc(to);
  if (lower && upper && upper <= lower) {
    throw validationFailed('The range is empty.', [{ path: 'to', message: 'must be after from' }]);
  }
  return { from: lower, to: upper };
}

export async function listSessionsPage(db: Db, actor: Actor, query: ListSessionsQuery, timeZone: string) {
  if (actor.role === 'student') throw forbidden();
  if (query.courseId) await assertCourseStaff(db, actor, query.courseId);
  const range = resolveRange(query.from, query.to, timeZone);
  const after = query.cursor ? (decodeCursor(query.cursor, 2) as [string, string]) : undefined;
  const { rows, more } = await listSessions(db, {
    courseId: query.courseId,
    teacherId: actor.role === 'teacher' ? actor.userId : undefined,
    state: query.state,
    ...range,
    limit: query.limit,
    after,
  });
  const last = rows[rows.length - 1];
  return { items: rows.map(toSessionWithCourse), nextCursor: more ? encodeCursor([last.starts_at, last.id]) : null };
}

export async function getSession(db: Db, actor: Actor, id: string): Promise<Session> {
  return toSession((await getSessionForStaff(db, actor, id)).session);
}

/**
 * Edits a session that is still scheduled (else 409 `invalid_state`); a new start or kind renumbers
 * the course. When its time or venue changes, the enrolled students get a `session_changed`
 * notification (live and by mail) and everyone watching gets SESSION_UPDATED.
 */
export async function updateSession(app: FastifyInstance, actor: Actor, id: string, input: UpdateSessionInput): Promise<Session> {
  const { session: before, course } = await getSessionForStaff(app.db, actor, id);
  if (before.state !== 'scheduled') throw invalidState(`The session is ${before.state}; only scheduled sessions can be edited.`);
  const startsAt = input.startsAt !== undefined ? utc(input.startsAt) : before.starts_at;
  const endsAt = input.endsAt !== undefined ? utc(input.endsAt) : before.ends_at;
  checkTimes(startsAt, endsAt);
  const policy = input.policy ? JSON.stringify(mergePolicy(parsePolicy(before.policy), input.policy)) : undefined;
  const kind = input.kind ?? before.kind;
  const { session, notifications } = await app.db.transaction().execute(async (trx) => {
    await lockCourse(trx, before.course_id);
    const after = await updateScheduledSession(trx, id, {
      kind,
      starts_at: startsAt,
      ends_at: endsAt,
      title: input.title,
      venue: input.venue,
      policy,
      updated_at: nowIso(),
    });
    if (!after) throw invalidState('The session is no longer scheduled.');
    if (startsAt !== before.starts_at || kind !== before.kind) {
      await renumberCourseSessions(trx, before.course_id, [before.kind, kind]);
    }
    const stored = (await findSessionById(trx, id)) ?? after;
    const session = toSession(stored);
    await insertAudit(trx, {
      actorId: actor.userId,
      action: 'session.updated',
      entity: 'session',
      entityId: id,
      sessionId: id,
      before: toSession(before),
      after: session,
    });
    const previous: { startsAt?: string; endsAt?: string; venue?: string | null } = {};
    if (stored.starts_at !== before.starts_at) previous.startsAt = before.starts_at;
    if (stored.ends_at !== before.ends_at) previous.endsAt = before.ends_at;
    if (stored.venue !== before.venue) previous.venue = before.venue;
    // Only what changes where and when students must be notices them; a title or policy edit is not news.
    const notifications =
      Object.keys(previous).length === 0
        ? []
        : await createNotifications(
            trx,
            (await enrolledStudentIds(trx, course.id)).map((userId) => ({
              userId,
              kind: 'session_changed',
              payload: {
                sessionId: id,
                courseId: course.id,
                courseCode: course.code,
                courseName: course.name,
                sessionKind: stored.kind,
                sessionNumber: stored.number,
                sessionTitle: stored.title,
                startsAt: stored.starts_at,
                endsAt: stored.ends_at,
                venue: stored.venue,
                previous,
              },
            })),
          );
    return { session, notifications };
  });
  pushNotifications(app, notifications);
  await publishSessionEvent(app, session, 'SESSION_UPDATED');
  return session;
}

/** Deletes a session that is still scheduled (else 409 `invalid_state`); later sessions move up a number. */
export async function deleteSession(db: Db, actor: Actor, id: string): Promise<{ courseId: string }> {
  const { session: before } = await getSessionForStaff(db, actor, id);
  if (before.state !== 'scheduled') throw invalidState(`The session is ${before.state}; only scheduled sessions can be deleted.`);
  await db.transaction().execute(async (trx) => {
    await lockCourse(trx, before.course_id);
    const current = await findSessionById(trx, id);
    if (!current || current.state !== 'scheduled') throw invalidState('The session is no longer scheduled.');
    await deleteSessionRow(trx, id);
    await renumberCourseSessions(trx, before.course_id, [before.kind]);
    await insertAudit(trx, {
      actorId: actor.userId,
      action: 'session.deleted',
      entity: 'session',
      entityId: id,
      sessionId: id,
      before: toSession(before),
    });
  });
  return { courseId: before.course_id };
}

/** States a session can be cancelled from. */
export const CANCELLABLE_STATES = ['scheduled', 'open'] as const;

/**
 * Cancels sessions inside the caller's transaction: each state change (atomic: a session that left
 * `scheduled`/`open` meanwhile is a 409) with its audit event. The caller notifies the students in
 * the same transaction and publishes with `publishCancelled` after commit. `subscribers` (the
 * webhook endpoints) are read before the transaction; each cancellation goes to the outbox with it.
 */
export async function cancelSessionsInTransaction(
  trx: Db,
  subscribers: Subscribers,
  actorId: string,
  before: SessionRow[],
  reason: string,
): Promise<SessionRow[]> {
  const now = nowIso();
  const out: SessionRow[] = [];
  for (const b of before) {
    const after = await transitionSession(trx, b.id, [...CANCELLABLE_STATES], {
      state: 'cancelled',
      cancelled_at: now,
      cancelled_reason: reason,
      updated_at: now,
    });
    if (!after) throw invalidState('A session changed state meanwhile; reload it.');
    await insertAudit(trx, {
      actorId,
      action: 'session.cancelled',
      entity: 'session',
      entityId: b.id,
      sessionId: b.id,
      before: toSession(b),
      after: toSession(after),
      reason,
    });
    await enqueueOutbox(trx, [{ type: 'session.cancelled', orderKey: b.id, data: { session: toSession(after) } }], subscribers);
    out.push(after);
  }
  // Later sessions of the cancelled ones' kinds that were not held yet move up a number.
  const kindsByCourse = new Map<string, Set<SessionRow['kind']>>();
  for (const a of out) {
    const kinds = kindsByCourse.get(a.course_id) ?? new Set();
    kinds.add(a.kind);
    kindsByCourse.set(a.course_id, kinds);
  }
  for (const [courseId, kinds] of kindsByCourse) await renumberCourseSessions(trx, courseId, [...kinds]);
  // The renumbering cleared the cancelled sessions' numbers: return them as stored.
  const stored: SessionRow[] = [];
  for (const a of out) stored.push((await findSessionById(trx, a.id)) ?? a);
  return stored;
}

/** After commit: SESSION_CANCELLED to each session's staff and students. */
export async function publishCancelled(app: FastifyInstance, sessions: Session[]): Promise<void> {
  for (const session of sessions) await publishSessionEvent(app, session, 'SESSION_CANCELLED');
}

/**
 * Cancels a scheduled or open session with a reason: in one transaction the state change, its audit
 * event and a `class_cancelled` notification per enrolled student; after commit the notifications
 * go out live (and by mail) and SESSION_CANCELLED goes to the session's topic. The session keeps
 * its number and never counts in a percentage.
 */
export async function cancelSession(app: FastifyInstance, actor: Actor, id: string, reason: string): Promise<Session> {
  const { session: before, course } = await getSessionForStaff(app.db, actor, id);
  if (!(CANCELLABLE_STATES as readonly string[]).includes(before.state)) {
    throw invalidState(`The session is ${before.state}; only scheduled or open sessions can be cancelled.`);
  }
  const subscribers = await app.webhooks.current();
  const { session, notifications } = await app.db.transaction().execute(async (trx) => {
    const [after] = await cancelSessionsInTransaction(trx, subscribers, actor.userId, [before], reason);
    const session = toSession(after);
    const students = await enrolledStudentIds(trx, course.id);
    const notifications = await createNotifications(
      trx,
      students.map((userId) => ({
        userId,
        kind: 'class_cancelled',
        payload: {
          sessionId: id,
          courseId: course.id,
          courseCode: course.code,
          courseName: course.name,
          sessionKind: before.kind,
          // The number students knew it by (a cancelled session has none any more).
          sessionNumber: before.number,
          sessionTitle: after.title,
          startsAt: after.starts_at,
          reason,
        },
      })),
    );
    return { session, notifications };
  });
  pushNotifications(app, notifications);
  await publishCancelled(app, [session]);
  return session;
}
