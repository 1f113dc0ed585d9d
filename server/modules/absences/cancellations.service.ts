import type { FastifyInstance } from 'fastify';
import type { CancellationsInput } from '../../../common/absence.schemas.js';
import type { Session } from '../../../common/session.schemas.js';
import { validationFailed } from '../../errors.js';
import { assertCourseStaff, type Actor } from '../courses/courses.service.js';
import { enrolledStudentIds } from '../enrollments/enrollments.repository.js';
import { createNotifications, pushNotifications } from '../notifications/notifications.service.js';
import {
  CANCELLABLE_STATES,
  cancelSessionsInTransaction,
  invalidState,
  publishCancelled,
  resolveRange,
  toSession,
} from '../sessions/sessions.service.js';
import { courseSessionsByIds, courseSessionsInRange } from './absences.repository.js';

const cancellable = (state: string) => (CANCELLABLE_STATES as readonly string[]).includes(state);

/**
 * A teacher's own absence: cancels several sessions of a course in one transaction (the same
 * cancel step as a single cancellation) and gives each student one `classes_cancelled`
 * notification listing them all, live and by one mail.
 */
export async function cancelCourseSessions(app: FastifyInstance, actor: Actor, courseId: string, input: CancellationsInput): Promise<Session[]> {
  const course = await assertCourseStaff(app.db, actor, courseId);
  let targets;
  if (input.sessionIds) {
    const ids = [...new Set(input.sessionIds)];
    targets = await courseSessionsByIds(app.db, course.id, ids);
    const known = new Set(targets.map((s) => s.id));
    const foreign = ids.filter((id) => !known.has(id));
    if (foreign.length > 0) {
      throw validationFailed(
        'Every session must belong to this course.',
        foreign.map((id) => ({ path: 'sessionIds', message: `${id} is not a session of this course` })),
      );
    }
    const stuck = targets.filter((s) => !cancellable(s.state));
    if (stuck.length > 0) {
      throw invalidState(`Only scheduled or open sessions can be cancelled; ${stuck.map((s) => `#${s.number} is ${s.state}`).join(', ')}.`);
    }
  } else {
    const range = resolveRange(input.from, input.to, app.config.TIMEZONE);
    targets = (await courseSessionsInRange(app.db, course.id, range.from!, range.to!)).filter((s) => cancellable(s.state));
  }
  if (targets.length === 0) {
    throw validationFailed('No scheduled or open session of this course in that range.', [{ path: 'from', message: 'covers no session' }]);
  }
  const subscribers = await app.webhooks.current();
  const { sessions, notifications } = await app.db.transaction().execute(async (trx) => {
    const after = await cancelSessionsInTransaction(trx, subscribers, actor.userId, targets, input.reason);
    const students = await enrolledStudentIds(trx, course.id);
    const listed = after.map((s) => ({ sessionId: s.id, sessionNumber: s.number, sessionTitle: s.title, startsAt: s.starts_at }));
    const notifications = await createNotifications(
      trx,
      students.map((userId) => ({
        userId,
        kind: 'classes_cancelled',
        payload: { courseId: course.id, courseCode: course.code, courseName: course.name, reason: input.reason, sessions: listed },
      })),
    );
    return { sessions: after.map(toSession), notifications };
  });
  pushNotifications(app, notifications);
  await publishCancelled(app, sessions);
  app.warningEvaluator.courseChanged(course.id);
  return sessions;
}
