import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { renderNotification } from '../../../common/notification.schemas.js';
import { type ListWarningsQuery, type Warning, type WarningKind } from '../../../common/warning.schemas.js';
import type { Database } from '../../db/database.js';
import { forbidden } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { newId, nowIso } from '../../lib/ids.js';
import type { Mailer } from '../../lib/mailer.js';
import type { Bus } from '../../realtime/bus.js';
import { publish } from '../../realtime/live-events.js';
import { userTopic } from '../../realtime/topics.js';
import { insertAudit } from '../audit/audit.repository.js';
import { findCourseById } from '../courses/courses.repository.js';
import { assertCourseStaff, warningRulesOf, type Actor } from '../courses/courses.service.js';
import { createNotifications, type UserNotification } from '../notifications/notifications.service.js';
import { type HeldStatus, warningsFor } from './warning-rules.js';
import {
  chunks,
  courseTeachers,
  heldRecordsOf,
  insertWarningIfNone,
  listWarnings,
  openKeyOf,
  openWarningsOf,
  remainingSessionCount,
  resolveWarningRow,
  studentsByIds,
  updateWarningDetail,
  type WarningListRow,
  type WarningRow,
} from './warnings.repository.js';

type Db = Kysely<Database>;

/** What evaluating warnings needs (no whole app): the database, live events, mail, words. */
export interface WarningDeps {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  bus: Bus;
  mailer: Mailer | null;
  log: FastifyBaseLogger;
  timeZone: string;
  publicUrl: string;
}

export const warningDepsOf = (app: FastifyInstance): WarningDeps => ({
  db: app.db,
  dialect: app.dialect,
  bus: app.bus,
  mailer: app.mailer,
  log: app.log,
  timeZone: app.config.TIMEZONE,
  publicUrl: app.publicUrl,
});

type Desired = Map<string, Map<WarningKind, string>>;

/** The warnings each student's standing calls for now (reads only). */
async function desiredWarnings(db: Db, course: NonNullable<Awaited<ReturnType<typeof findCourseById>>>, studentIds: string[], timeZone: string) {
  const ctx = { thresholdPercent: course.threshold_percent, rules: warningRulesOf(course), timeZone };
  const remaining = await remainingSessionCount(db, course.id);
  const held = new Map<string, { startsAt: string; status: HeldStatus }[]>(studentIds.map((id) => [id, []]));
  for (const part of chunks(studentIds)) {
    for (const r of await heldRecordsOf(db, course.id, part)) held.get(r.student_id)?.push({ startsAt: r.starts_at, status: r.status });
  }
  const desired: Desired = new Map();
  for (const [studentId, records] of held) desired.set(studentId, warningsFor({ held: records, remaining }, ctx));
  return desired;
}

async function openWarnings(db: Db, courseId: string, studentIds: string[]) {
  const open: WarningRow[] = [];
  for (const part of chunks(studentIds)) open.push(...(await openWarningsOf(db, courseId, part)));
  return open;
}

interface Plan {
  open: { studentId: string; kind: WarningKind; detail: string }[];
  resolve: WarningRow[];
  update: { row: WarningRow; detail: string }[];
}

function planOf(desired: Desired, open: WarningRow[]): Plan {
  const plan: Plan = { open: [], resolve: [], update: [] };
  const openByKey = new Map(open.map((w) => [`${w.student_id}:${w.kind}`, w]));
  for (const [studentId, kinds] of desired) {
    for (const [kind, detail] of kinds) {
      const existing = openByKey.get(`${studentId}:${kind}`);
      if (!existing) plan.open.push({ studentId, kind, detail });
      else if (existing.detail !== detail) plan.update.push({ row: existing, detail });
    }
  }
  for (const w of open) if (!desired.get(w.student_id)?.has(w.kind)) plan.resolve.push(w);
  return plan;
}

const isEmpty = (p: Plan) => p.open.length + p.resolve.length + p.update.length === 0;

export interface Evaluation {
  opened: WarningRow[];
  resolved: WarningRow[];
  updated: number;
}

/**
 * Brings the students' warnings in a course in line with their records: opens what the rules call
 * for (notifying the student, their guardian by mail, and the course's teachers), refreshes the
 * detail of warnings still open, and resolves the rest. Called after a change commits (records of
 * these students changed, or a session closed). Safe on several nodes at once: a warning opens only
 * through the unique open_key, so a second node evaluating the same change opens nothing.
 */
export async function evaluateWarnings(deps: WarningDeps, courseId: string, studentIds: string[]): Promise<Evaluation> {
  const ids = [...new Set(studentIds)];
  const none: Evaluation = { opened: [], resolved: [], updated: 0 };
  if (ids.length === 0) return none;
  const course = await findCourseById(deps.db, courseId);
  if (!course) return none;
  // Read first without a transaction: most changes (a check-in) alter no warning, and those should
  // not take the write lock.
  const first = planOf(await desiredWarnings(deps.db, course, ids, deps.timeZone), await openWarnings(deps.db, courseId, ids));
  if (isEmpty(first)) return none;

  const teachers = await courseTeachers(deps.db, courseId);
  const students = new Map((await studentsByIds(deps.db, ids)).map((s) => [s.id, s]));
  const outcome = await deps.db.transaction().execute(async (trx) => {
    // Evaluations of one course queue here (SQLite transactions are serialised already), so the last
    // to commit has read the latest records.
    if (deps.dialect === 'postgres') await trx.selectFrom('courses').select('id').where('id', '=', courseId).forUpdate().execute();
    const fresh = await findCourseById(trx, courseId);
    if (!fresh) return { ...none, notifications: [] as UserNotification[] };
    const plan = planOf(await desiredWarnings(trx, fresh, ids, deps.timeZone), await openWarnings(trx, courseId, ids));
    const now = nowIso();
    const opened: WarningRow[] = [];
    for (const w of plan.open) {
      const row = await insertWarningIfNone(trx, {
        id: newId(),
        course_id: courseId,
        student_id: w.studentId,
        kind: w.kind,
        detail: w.detail,
        state: 'open',
        open_key: openKeyOf(courseId, w.studentId, w.kind),
        created_at: now,
        updated_at: now,
        resolved_at: null,
      });
      if (!row) continue;
      opened.push(row);
      await insertAudit(trx, { actorId: null, action: 'warning.opened', entity: 'warning', entityId: row.id, studentId: w.studentId, after: row });
    }
    const resolved: WarningRow[] = [];
    for (const w of plan.resolve) {
      const row = await resolveWarningRow(trx, w.id, now);
      if (!row) continue;
      resolved.push(row);
      await insertAudit(trx, { actorId: null, action: 'warning.resolved', entity: 'warning', entityId: row.id, studentId: row.student_id, before: w, after: row });
    }
    for (const u of plan.update) await updateWarningDetail(trx, u.row.id, u.detail, now);
    const notifications = await createNotifications(
      trx,
      opened.flatMap((w) => {
        const payload = {
          warningId: w.id,
          kind: w.kind,
          detail: w.detail,
          courseId,
          courseCode: fresh.code,
          courseName: fresh.name,
          studentId: w.student_id,
          studentName: students.get(w.student_id)?.name,
        };
        return [
          { userId: w.student_id, kind: 'attendance_warning', payload: { ...payload, audience: 'student' as const } },
          ...teachers.map((t) => ({ userId: t.id, kind: 'attendance_warning', payload: { ...payload, audience: 'teacher' as const } })),
        ];
      }),
    );
    return { opened, resolved, updated: plan.update.length, notifications };
  });

  const { notifications, ...result } = outcome;
  for (const { userId, ...notification } of notifications) publish(deps.bus, userTopic(userId), 'NOTIFICATION', { notification });
  if (deps.mailer && result.opened.length > 0) {
    mailWarnings(deps, deps.mailer, course, result.opened, notifications, students, teachers).catch((err: unknown) =>
      deps.log.warn({ err }, 'warning mail failed'),
    );
  }
  return result;
}

/** Mails each new warning to the student, their guardian (mail only) and the course's teachers. */
async function mailWarnings(
  deps: WarningDeps,
  mailer: Mailer,
  course: { id: string; code: string; name: string },
  opened: WarningRow[],
  notifications: UserNotification[],
  students: Map<string, Awaited<ReturnType<typeof studentsByIds>>[number]>,
  teachers: Awaited<ReturnType<typeof courseTeachers>>,
): Promise<void> {
  const emails = new Map<string, string>();
  for (const t of teachers) if (t.email) emails.set(t.id, t.email);
  for (const s of students.values()) if (s.email && s.active === 1) emails.set(s.id, s.email);
  const sends: Promise<void>[] = [];
  const send = (to: string, subject: string, text: string) =>
    sends.push(mailer.send({ to, subject, text }).catch((err: unknown) => deps.log.warn({ err: (err as Error)?.message }, 'could not mail a warning')));
  for (const n of notifications) {
    const to = emails.get(n.userId);
    if (!to) continue;
    const { title, body } = renderNotification(n.kind, n.payload, { timeZone: deps.timeZone });
    const link = n.payload.audience === 'teacher' ? `${deps.publicUrl}/courses/${course.id}` : `${deps.publicUrl}/attendance`;
    send(to, `Rollbook: ${title}`, `${body}\n\n${link}\n`);
  }
  for (const w of opened) {
    const s = students.get(w.student_id);
    if (!s?.guardian_email || s.active !== 1) continue;
    send(
      s.guardian_email,
      `Rollbook: attendance warning for ${s.name} in ${course.code}`,
      `${s.name} has an attendance warning in ${course.code} ${course.name}:\n\n${w.detail}.\n\n` +
        `You receive this because this address is registered as ${s.name}'s guardian at the school.\n`,
    );
  }
  await Promise.all(sends);
}

function toWarning(r: WarningListRow): Warning {
  return {
    id: r.id,
    studentId: r.student_id,
    courseId: r.course_id,
    kind: r.kind,
    detail: r.detail,
    state: r.state,
    createdAt: r.created_at,
    resolvedAt: r.resolved_at,
    student: { id: r.student_id, name: r.student_name, studentNumber: r.student_number },
    course: { id: r.course_id, code: r.course_code, name: r.course_name },
  };
}

/** GET /api/warnings: admins see all; teachers the warnings of the courses they teach. */
export async function listWarningsPage(db: Db, actor: Actor, query: ListWarningsQuery) {
  if (actor.role === 'student') throw forbidden();
  if (query.courseId) await assertCourseStaff(db, actor, query.courseId);
  const before = query.cursor ? decodeCursor(query.cursor, 1)[0] : undefined;
  const { rows, more } = await listWarnings(db, {
    courseId: query.courseId,
    studentId: query.studentId,
    state: query.state === 'all' ? undefined : query.state,
    teacherId: actor.role === 'teacher' ? actor.userId : undefined,
    before,
    limit: query.limit,
  });
  return { items: rows.map(toWarning), nextCursor: more ? encodeCursor([rows[rows.length - 1].id]) : null };
}

/** GET /api/me/warnings: the student's open warnings. */
export async function myWarnings(db: Db, actor: Actor): Promise<{ items: Warning[] }> {
  const { rows } = await listWarnings(db, { studentId: actor.userId, state: 'open', limit: 1000 });
  return { items: rows.map(toWarning) };
}
