import type { FastifyInstance } from 'fastify';
import type { AttendanceRecord } from '../../../common/attendance.schemas.js';
import type { Actor } from '../courses/courses.service.js';
import { assertSessionStaff } from '../live-sessions/live-sessions.service.js';
import { createNotifications, pushNotifications } from '../notifications/notifications.service.js';
import { findCourseById } from '../courses/courses.repository.js';
import { withRecordWriter } from './record-writer.js';
import { sessionRecordRows, sessionSummary } from './records.repository.js';
import { toRecord } from './records.service.js';

/** Every record of the session with its student, and the summary (the teacher's live list). */
export async function sessionRecords(app: FastifyInstance, actor: Actor, sessionId: string) {
  const session = await assertSessionStaff(app.db, actor, sessionId);
  const [rows, summary] = await Promise.all([
    sessionRecordRows(app.db, sessionId),
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
 * Confirms pending check-ins (one student, or all pending of the session) through the write
 * command: each change is audited and in the outbox, the student is notified (in the same
 * transaction), and the staff see RECORD_UPDATED live.
 */
export async function confirmRecords(app: FastifyInstance, actor: Actor, sessionId: string, studentId: string | null): Promise<AttendanceRecord[]> {
  const session = await assertSessionStaff(app.db, actor, sessionId);
  const course = (await findCourseById(app.db, session.course_id))!;
  const { confirmed, notifications, record } = await withRecordWriter(app, async (w) => {
    const { changes, record } = await w.apply({ type: 'confirm', sessionId, studentId, actorId: actor.userId });
    const notifications = await createNotifications(
      w.trx,
      changes.map((c) => ({
        userId: c.studentId,
        kind: 'checkin_confirmed',
        payload: {
          sessionId,
          courseId: session.course_id,
          courseCode: course.code,
          courseName: course.name,
          sessionNumber: session.number,
          sessionTitle: session.title,
          startsAt: session.starts_at,
          status: c.record?.status,
        },
      })),
    );
    return { confirmed: changes.map((c) => c.record!), notifications, record };
  });
  pushNotifications(app, notifications);
  if (studentId && confirmed.length === 0) return record ? [record] : [];
  return confirmed;
}
