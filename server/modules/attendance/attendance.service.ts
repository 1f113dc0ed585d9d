import type { FastifyInstance } from 'fastify';
import type { AttendanceRecord } from '../../../common/attendance.schemas.js';
import { AppError } from '../../errors.js';
import { nowIso } from '../../lib/ids.js';
import { insertAudit } from '../audit/audit.repository.js';
import type { Actor } from '../courses/courses.service.js';
import { assertSessionStaff } from '../live-sessions/live-sessions.service.js';
import { createNotifications, pushNotifications } from '../notifications/notifications.service.js';
import { findRecord, sessionSummary, type RecordRow } from './records.repository.js';
import { publishRecordChange, toRecord } from './records.service.js';

/** Every record of the session with its student, and the summary (the teacher's live list). */
export async function sessionRecords(app: FastifyInstance, actor: Actor, sessionId: string) {
  const session = await assertSessionStaff(app.db, actor, sessionId);
  const [rows, summary] = await Promise.all([
    app.db
      .selectFrom('attendance_records')
      .innerJoin('users', 'users.id', 'attendance_records.student_id')
      .selectAll('attendance_records')
      .select(['users.name as student_name', 'users.student_number as student_number'])
      .where('attendance_records.session_id', '=', sessionId)
      .orderBy('attendance_records.checked_in_at', 'desc')
      .orderBy('attendance_records.id', 'desc')
      .execute(),
    sessionSummary(app.db, sessionId, session.course_id),
  ]);
  return {
    items: rows.map((r) => ({ ...toRecord(r), student: { id: r.student_id, name: r.student_name, studentNumber: r.student_number } })),
    summary,
  };
}

export async function summaryForStaff(app: FastifyInstance, actor: Actor, sessionId: string) {
  const session = await assertSessionStaff(app.db, actor, sessionId);
  return sessionSummary(app.db, sessionId, session.course_id);
}

/**
 * Confirms pending check-ins (one student, or all pending of the session): each change is audited,
 * the student is notified, and the staff see RECORD_UPDATED live.
 */
export async function confirmRecords(app: FastifyInstance, actor: Actor, sessionId: string, studentId: string | null): Promise<AttendanceRecord[]> {
  const session = await assertSessionStaff(app.db, actor, sessionId);
  const course = await app.db.selectFrom('courses').select(['code', 'name']).where('id', '=', session.course_id).executeTakeFirstOrThrow();
  const now = nowIso();
  const { confirmed, notifications } = await app.db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).where('state', '=', 'pending');
    if (studentId) q = q.where('student_id', '=', studentId);
    const pending = await q.execute();
    if (studentId && pending.length === 0 && !(await findRecord(trx, sessionId, studentId))) {
      throw new AppError(404, 'not_found', 'Record not found', 'This student has no check-in in this session.');
    }
    const done: RecordRow[] = [];
    for (const p of pending) {
      const updated = await trx
        .updateTable('attendance_records')
        .set((eb) => ({ state: 'confirmed', updated_at: now, updated_by: actor.userId, version: eb('version', '+', 1) }))
        .where('id', '=', p.id)
        .where('state', '=', 'pending')
        .returningAll()
        .executeTakeFirst();
      if (!updated) continue;
      await insertAudit(trx, {
        actorId: actor.userId,
        action: 'record.confirmed',
        entity: 'record',
        entityId: p.id,
        sessionId,
        studentId: p.student_id,
        before: toRecord(p),
        after: toRecord(updated),
      });
      done.push(updated);
    }
    const notes = await createNotifications(
      trx,
      done.map((r) => ({
        userId: r.student_id,
        kind: 'checkin_confirmed',
        payload: {
          sessionId,
          courseId: session.course_id,
          courseCode: course.code,
          courseName: course.name,
          sessionNumber: session.number,
          sessionTitle: session.title,
          startsAt: session.starts_at,
          status: r.status,
        },
      })),
    );
    return { confirmed: done, notifications: notes };
  });
  pushNotifications(app, notifications);
  for (const row of confirmed) publishRecordChange(app, session.course_id, { event: 'RECORD_UPDATED', row });
  if (studentId && confirmed.length === 0) {
    const existing = await findRecord(app.db, sessionId, studentId);
    return existing ? [toRecord(existing)] : [];
  }
  return confirmed.map(toRecord);
}
