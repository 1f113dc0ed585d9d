import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import {
  ABSENCE_ATTACHMENTS_MAX,
  ATTACHMENT_TYPES,
  type Absence,
  type AbsenceDecisionInput,
  type Attachment,
  type CreateAbsenceInput,
  type ListAbsencesQuery,
} from '../../../common/absence.schemas.js';
import type { Database } from '../../db/database.js';
import { AppError, forbidden, notFound, validationFailed } from '../../errors.js';
import { newId, nowIso } from '../../lib/ids.js';
import { FileTooLargeError, type BlobStorage } from '../../lib/storage.js';
import { insertAudit } from '../audit/audit.repository.js';
import { findCourseById, isCourseTeacher, teacherIdsByCourse, type CourseRow } from '../courses/courses.repository.js';
import type { Actor } from '../courses/courses.service.js';
import { isEnrolled } from '../enrollments/enrollments.repository.js';
import { createNotifications, pushNotifications, type UserNotification } from '../notifications/notifications.service.js';
import { resolveRange } from '../sessions/sessions.service.js';
import { enqueueOutbox, type Subscribers } from '../webhooks/outbox.repository.js';
import { withRecordWriter } from '../attendance/record-writer.js';
import {
  approvedCoverage,
  attachmentsByAbsence,
  coveredSessionIds,
  countAbsences,
  countAttachments,
  courseSessionsByIds,
  courseSessionsInRange,
  deleteAttachmentRow,
  findAbsenceView,
  findAttachment,
  insertAbsence,
  insertAttachment,
  isContentReferenced,
  listAbsenceViews,
  lockPendingAbsence,
  sessionIdsByAbsence,
  transitionAbsence,
  type AbsenceRow,
  type AbsenceViewRow,
  type AttachmentRow,
} from './absences.repository.js';

type Db = Kysely<Database>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Where attachments are stored (a directory under UPLOAD_DIR). */
    attachments: BlobStorage;
  }
}

export const absenceInvalidState = (detail: string) => new AppError(409, 'invalid_state', 'Invalid request state', detail);

export function toAttachment(row: AttachmentRow): Attachment {
  return { id: row.id, name: row.name, size: row.size, contentType: row.content_type, sha256: row.sha256, createdAt: row.created_at };
}

export function toAbsence(row: AbsenceViewRow, sessionIds: string[], attachments: AttachmentRow[]): Absence {
  return {
    id: row.id,
    studentId: row.student_id,
    courseId: row.course_id,
    sessionIds,
    from: row.from_date,
    to: row.to_date,
    category: row.category,
    reason: row.reason,
    state: row.state,
    attachments: attachments.map(toAttachment),
    createdAt: row.created_at,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    response: row.response,
    student: { id: row.student_id, name: row.student_name, studentNumber: row.student_number },
    course: { id: row.course_id, code: row.course_code, name: row.course_name },
  };
}

async function present(db: Db, rows: AbsenceViewRow[]): Promise<Absence[]> {
  const ids = rows.map((r) => r.id);
  const [sessions, files] = await Promise.all([sessionIdsByAbsence(db, ids), attachmentsByAbsence(db, ids)]);
  return rows.map((r) => toAbsence(r, sessions.get(r.id) ?? [], files.get(r.id) ?? []));
}

/** A request as its API object, read fresh (after a change). */
export async function loadAbsence(db: Db, id: string): Promise<Absence> {
  const row = await findAbsenceView(db, id);
  if (!row) throw notFound('Absence request');
  return (await present(db, [row]))[0];
}

/** Who may see a request: its student, the course's teachers, admins. */
async function canSee(db: Db, actor: Actor, row: AbsenceRow): Promise<boolean> {
  if (actor.role === 'admin') return true;
  if (actor.role === 'student') return row.student_id === actor.userId;
  return isCourseTeacher(db, row.course_id, actor.userId);
}

/** The request if the actor may see it: 404 when it does not exist, 403 otherwise. */
export async function getVisibleAbsence(db: Db, actor: Actor, id: string): Promise<AbsenceViewRow> {
  const row = await findAbsenceView(db, id);
  if (!row) throw notFound('Absence request');
  if (!(await canSee(db, actor, row))) throw forbidden('This is not your request, and you do not teach its course.');
  return row;
}

function absencePayload(row: AbsenceRow, course: Pick<CourseRow, 'id' | 'code' | 'name'>) {
  return { requestId: row.id, courseId: course.id, courseCode: course.code, courseName: course.name };
}

async function notifyTeachers(
  trx: Db,
  courseId: string,
  kind: 'absence_requested' | 'absence_withdrawn',
  payload: Record<string, unknown>,
): Promise<UserNotification[]> {
  const teachers = (await teacherIdsByCourse(trx, [courseId])).get(courseId) ?? [];
  return createNotifications(
    trx,
    teachers.map((userId) => ({ userId, kind, payload })),
  );
}

/** The covered sessions: named ones (all of this course, none cancelled) or every session of the course in the date range. */
async function resolveSessions(db: Db, courseId: string, input: { sessionIds?: string[]; from?: string; to?: string }, timeZone: string) {
  if (input.sessionIds) {
    const ids = [...new Set(input.sessionIds)];
    const found = await courseSessionsByIds(db, courseId, ids);
    const known = new Set(found.map((s) => s.id));
    const foreign = ids.filter((id) => !known.has(id));
    if (foreign.length > 0) {
      throw validationFailed(
        'Every session must belong to this course.',
        foreign.map((id) => ({ path: 'sessionIds', message: `${id} is not a session of this course` })),
      );
    }
    return found;
  }
  const range = resolveRange(input.from, input.to, timeZone);
  return courseSessionsInRange(db, courseId, range.from!, range.to!);
}

/**
 * Writes `absence.created` / `absence.decided` to the outbox inside the change's transaction.
 * `subscribers` must be read before the transaction starts (on SQLite the transaction holds the
 * only connection, so reading the endpoint list inside it would wait for itself).
 */
async function enqueueAbsenceEvent(trx: Db, subscribers: Subscribers, type: 'absence.created' | 'absence.decided', absence: Absence): Promise<void> {
  // Ordered per request: its creation is delivered before its decisions.
  await enqueueOutbox(trx, [{ type, orderKey: absence.id, data: { absence } }], subscribers);
}

/** A student's request for some sessions of a course they take; the course's teachers are notified. */
export async function createAbsence(app: FastifyInstance, actor: Actor, input: CreateAbsenceInput): Promise<Absence> {
  const course = await findCourseById(app.db, input.courseId);
  if (!course) throw notFound('Course');
  if (!(await isEnrolled(app.db, course.id, actor.userId))) {
    throw new AppError(403, 'not_enrolled', 'Not enrolled', 'You are not enrolled in this course.');
  }
  const sessions = (await resolveSessions(app.db, course.id, input, app.config.TIMEZONE)).filter((s) => s.state !== 'cancelled');
  if (sessions.length === 0) {
    throw validationFailed('The request covers no session of this course (cancelled sessions do not count).', [
      { path: input.sessionIds ? 'sessionIds' : 'from', message: 'covers no session' },
    ]);
  }
  const now = nowIso();
  const row: AbsenceRow = {
    id: newId(),
    student_id: actor.userId,
    course_id: course.id,
    from_date: input.from ?? null,
    to_date: input.to ?? null,
    category: input.category,
    reason: input.reason,
    state: 'pending',
    created_at: now,
    updated_at: now,
    decided_at: null,
    decided_by: null,
    response: null,
  };
  const subscribers = await app.webhooks.current();
  const { absence, notifications } = await app.db.transaction().execute(async (trx) => {
    await insertAbsence(
      trx,
      row,
      sessions.map((s) => s.id),
    );
    const absence = await loadAbsence(trx, row.id);
    await insertAudit(trx, { actorId: actor.userId, action: 'absence.created', entity: 'absence', entityId: row.id, studentId: actor.userId, after: absence });
    await enqueueAbsenceEvent(trx, subscribers, 'absence.created', absence);
    const notifications = await notifyTeachers(trx, course.id, 'absence_requested', {
      ...absencePayload(row, course),
      studentName: absence.student.name,
      sessionCount: sessions.length,
      category: row.category,
    });
    return { absence, notifications };
  });
  pushNotifications(app, notifications);
  return absence;
}

export async function getAbsence(db: Db, actor: Actor, id: string): Promise<Absence> {
  const row = await getVisibleAbsence(db, actor, id);
  return (await present(db, [row]))[0];
}

export async function listAbsencesPage(db: Db, actor: Actor, query: ListAbsencesQuery) {
  let studentId = query.studentId;
  let teacherId: string | undefined;
  if (actor.role === 'student') {
    if (studentId && studentId !== actor.userId) throw forbidden('Students see their own requests only.');
    studentId = actor.userId;
  } else if (actor.role === 'teacher') {
    if (query.courseId && !(await isCourseTeacher(db, query.courseId, actor.userId))) throw forbidden('You do not teach this course.');
    teacherId = actor.userId;
  }
  const { rows, more } = await listAbsenceViews(db, {
    studentId,
    teacherId,
    courseId: query.courseId,
    state: query.state,
    sessionId: query.sessionId,
    limit: query.limit,
    beforeId: query.cursor,
  });
  return { items: await present(db, rows), nextCursor: more ? rows[rows.length - 1].id : null };
}

/** Pending requests the actor can decide: a teacher's courses, or all for an admin. */
export async function pendingCount(db: Db, actor: Actor): Promise<{ pending: number }> {
  if (actor.role === 'student') throw forbidden();
  return { pending: await countAbsences(db, { state: 'pending', teacherId: actor.role === 'teacher' ? actor.userId : undefined }) };
}

/** The student withdraws a pending request; the teachers are told. */
export async function withdrawAbsence(app: FastifyInstance, actor: Actor, id: string): Promise<Absence> {
  const before = await getVisibleAbsence(app.db, actor, id);
  if (before.student_id !== actor.userId) throw forbidden('Only the student who made the request can withdraw it.');
  const { absence, notifications } = await app.db.transaction().execute(async (trx) => {
    const after = await transitionAbsence(trx, id, ['pending'], { state: 'withdrawn', updated_at: nowIso() });
    if (!after) throw absenceInvalidState(`The request is ${(await findAbsenceView(trx, id))?.state ?? 'gone'}; only a pending request can be withdrawn.`);
    const absence = await loadAbsence(trx, id);
    await insertAudit(trx, {
      actorId: actor.userId,
      action: 'absence.withdrawn',
      entity: 'absence',
      entityId: id,
      studentId: actor.userId,
      before: { state: 'pending' },
      after: { state: 'withdrawn' },
    });
    const notifications = await notifyTeachers(trx, before.course_id, 'absence_withdrawn', {
      ...absencePayload(after, { id: before.course_id, code: before.course_code, name: before.course_name }),
      studentName: before.student_name,
    });
    return { absence, notifications };
  });
  pushNotifications(app, notifications);
  return absence;
}

/** A file's name as the uploader gave it: shown and offered on download, never a path. */
export function checkFileName(name: string | undefined): string {
  const n = (name ?? '').trim();
  const bad =
    n.length === 0 ||
    n.length > 200 ||
    n === '.' ||
    n === '..' ||
    /[\u0000-\u001f\u007f/\\]/.test(n) ||
    n.includes('..');
  if (bad) {
    throw validationFailed('The file name is not acceptable.', [
      { path: 'file', message: 'a file name of 1–200 characters without /, \\, .. or control characters' },
    ]);
  }
  return n;
}

// HEIF is the container HEIC photos come in; some phones label it with the generic brand.
const ALLOWED_TYPES = new Set<string>([...ATTACHMENT_TYPES, 'image/heif']);

export interface IncomingFile {
  filename: string;
  stream: Readable;
  /** Whether the parser cut the stream at its limit (then the file is over the limit too). */
  truncated(): boolean;
}

/**
 * Stores an attachment of a pending request of the student's: the bytes stream to a temporary file
 * (size-limited, hashed), the type is judged from them, then the row is inserted (at most five, under
 * the request's row lock) and only after commit the file moves under its hash. Any failure leaves
 * neither a row nor a file.
 */
export async function addAttachment(app: FastifyInstance, actor: Actor, id: string, file: IncomingFile | undefined): Promise<Attachment> {
  const before = await getVisibleAbsence(app.db, actor, id);
  if (before.student_id !== actor.userId) throw forbidden('Only the student who made the request can attach files to it.');
  if (!file) throw validationFailed('Send one file in the multipart field `file`.', [{ path: 'file', message: 'required' }]);
  if (before.state !== 'pending') throw absenceInvalidState(`The request is ${before.state}; files can be added while it is pending.`);
  if ((await countAttachments(app.db, id)) >= ABSENCE_ATTACHMENTS_MAX) throw tooManyAttachments();
  const name = checkFileName(file.filename);
  const maxBytes = Math.floor(app.config.UPLOAD_MAX_MB * 1024 * 1024);

  let staged;
  try {
    staged = await app.attachments.stage(file.stream, maxBytes);
  } catch (err) {
    if (err instanceof FileTooLargeError || (err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new AppError(413, 'file_too_large', 'File too large', `A file may be at most ${app.config.UPLOAD_MAX_MB} MB.`);
    }
    throw err;
  }
  try {
    if (file.truncated()) throw new AppError(413, 'file_too_large', 'File too large', `A file may be at most ${app.config.UPLOAD_MAX_MB} MB.`);
    if (staged.size === 0) throw validationFailed('The file is empty.', [{ path: 'file', message: 'zero bytes' }]);
    if (!staged.sniffedType || !ALLOWED_TYPES.has(staged.sniffedType)) {
      throw new AppError(
        415,
        'unsupported_file_type',
        'Unsupported file type',
        `Only PDF, JPEG, PNG, WebP and HEIC files are accepted (judged from the content${staged.sniffedType ? `, which is ${staged.sniffedType}` : ''}).`,
      );
    }
    const row: AttachmentRow = {
      id: newId(),
      absence_id: id,
      name,
      size: staged.size,
      content_type: staged.sniffedType,
      sha256: staged.sha256,
      created_at: nowIso(),
    };
    await app.db.transaction().execute(async (trx) => {
      if (!(await lockPendingAbsence(trx, id))) throw absenceInvalidState('The request is no longer pending.');
      if ((await countAttachments(trx, id)) >= ABSENCE_ATTACHMENTS_MAX) throw tooManyAttachments();
      await insertAttachment(trx, row);
      await insertAudit(trx, {
        actorId: actor.userId,
        action: 'absence.attachment_added',
        entity: 'absence',
        entityId: id,
        studentId: actor.userId,
        after: toAttachment(row),
      });
    });
    try {
      await staged.commit();
    } catch (err) {
      // The row is committed but its file could not be placed: take the row back out.
      await deleteAttachmentRow(app.db, id, row.id);
      throw err;
    }
    return toAttachment(row);
  } finally {
    await staged.discard();
  }
}

const tooManyAttachments = () =>
  new AppError(409, 'too_many_attachments', 'Too many attachments', `A request carries at most ${ABSENCE_ATTACHMENTS_MAX} files.`);

/** The student removes a file from a pending request; the stored file goes when nothing refers to it. */
export async function removeAttachment(app: FastifyInstance, actor: Actor, id: string, attachmentId: string): Promise<void> {
  const before = await getVisibleAbsence(app.db, actor, id);
  if (before.student_id !== actor.userId) throw forbidden('Only the student who made the request can remove its files.');
  const removed = await app.db.transaction().execute(async (trx) => {
    if (!(await lockPendingAbsence(trx, id))) throw absenceInvalidState(`The request is ${before.state}; files can be removed while it is pending.`);
    const row = await deleteAttachmentRow(trx, id, attachmentId);
    if (!row) throw notFound('Attachment');
    await insertAudit(trx, {
      actorId: actor.userId,
      action: 'absence.attachment_removed',
      entity: 'absence',
      entityId: id,
      studentId: actor.userId,
      before: toAttachment(row),
    });
    return row;
  });
  await releaseContent(app, removed.sha256);
}

/** Deletes stored content nothing refers to any more (after the commit that dropped the last reference). */
export async function releaseContent(app: FastifyInstance, sha256: string): Promise<void> {
  try {
    await app.attachments.removeIfUnreferenced(sha256, () => isContentReferenced(app.db, sha256));
  } catch (err) {
    app.log.warn({ err, sha256 }, 'could not delete an unreferenced attachment file');
  }
}

/** An attachment's bytes for the student, the course's teachers and admins. */
export async function openAttachment(app: FastifyInstance, actor: Actor, id: string, attachmentId: string) {
  await getVisibleAbsence(app.db, actor, id);
  const row = await findAttachment(app.db, id, attachmentId);
  if (!row) throw notFound('Attachment');
  const file = await app.attachments.open(row.sha256);
  if (!file) throw notFound('Attachment file');
  return { attachment: toAttachment(row), ...file };
}

/**
 * A teacher of the course (or an admin) decides a pending request, or revises an approval to a
 * denial (`revise: true`). One conditional UPDATE decides: of two teachers at once, one wins and the
 * other gets 409 `invalid_state`. In the same transaction: the audit event, the outbox event, the
 * student's notification and, through the record writer, the records it excuses (approval: each
 * covered `absent` record; sessions not closed yet are excused by their close) or reverts (revision:
 * exactly the records this request excused).
 */
export async function decideAbsence(
  app: FastifyInstance,
  actor: Actor,
  id: string,
  input: AbsenceDecisionInput,
): Promise<Absence> {
  const before = await findAbsenceView(app.db, id);
  if (!before) throw notFound('Absence request');
  if (actor.role !== 'admin' && !(actor.role === 'teacher' && (await isCourseTeacher(app.db, before.course_id, actor.userId)))) {
    throw forbidden('Only the course’s teachers and admins decide its absence requests.');
  }
  if (input.revise && input.decision !== 'denied') {
    throw validationFailed('A decision can only be revised from approved to denied.', [{ path: 'decision', message: 'must be denied when revising' }]);
  }
  const from = input.revise ? (['approved'] as const) : (['pending'] as const);
  const now = nowIso();
  const subscribers = await app.webhooks.current();
  const { absence, notifications } = await withRecordWriter(app, async (w) => {
    const trx = w.trx;
    const after = await transitionAbsence(trx, id, [...from], {
      state: input.decision,
      decided_at: now,
      decided_by: actor.userId,
      response: input.response ?? null,
      updated_at: now,
    });
    if (!after) {
      const state = (await findAbsenceView(trx, id))?.state ?? before.state;
      throw absenceInvalidState(
        input.revise ? `The request is ${state}; only an approved request can be revised.` : `The request is ${state}; only a pending request can be decided.`,
      );
    }
    const reason = input.response ? `${input.revise ? 'absence decision revised' : 'absence request approved'}: ${input.response}` : null;
    if (input.decision === 'approved' || input.revise) {
      for (const sessionId of await coveredSessionIds(trx, id)) {
        await w.apply({
          type: input.decision === 'approved' ? 'excuse' : 'unexcuse',
          sessionId,
          studentId: before.student_id,
          absenceId: id,
          actorId: actor.userId,
          reason,
        });
      }
    }
    const absence = await loadAbsence(trx, id);
    await insertAudit(trx, {
      actorId: actor.userId,
      action: input.revise ? 'absence.revised' : 'absence.decided',
      entity: 'absence',
      entityId: id,
      studentId: before.student_id,
      before: { state: before.state, response: before.response },
      after: { state: after.state, response: after.response },
      reason: input.response ?? null,
    });
    await enqueueAbsenceEvent(trx, subscribers, 'absence.decided', absence);
    const notifications = await createNotifications(trx, [
      {
        userId: before.student_id,
        kind: 'absence_decided',
        payload: {
          ...absencePayload(after, { id: before.course_id, code: before.course_code, name: before.course_name }),
          decision: input.decision,
          response: input.response ?? null,
        },
      },
    ]);
    return { absence, notifications };
  });
  pushNotifications(app, notifications);
  return absence;
}

/** For a session's close: the students an approved request excuses, with that request (read in the close's transaction). */
export async function approvedAbsencesCovering(trx: Db, sessionId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of await approvedCoverage(trx, sessionId)) if (!out.has(r.student_id)) out.set(r.student_id, r.absence_id);
  return out;
}
