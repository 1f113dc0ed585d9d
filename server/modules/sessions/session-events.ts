import type { FastifyInstance } from 'fastify';
import type { Session } from '../../../common/session.schemas.js';
import { sessionTopic, userTopic } from '../../realtime/topics.js';
import { enrolledStudentIds } from '../enrollments/enrollments.repository.js';

export type SessionLifecycleEvent = 'SESSION_OPENED' | 'SESSION_CLOSED' | 'SESSION_CANCELLED' | 'SESSION_UPDATED';

/**
 * After commit: `event {session}` to the session's topic (its staff) and to the user topic of every
 * student enrolled in its course, so their pages follow without reloading. Never throws: a live
 * event is a courtesy on top of a committed change.
 */
export async function announceSession(app: FastifyInstance, session: Session, event: SessionLifecycleEvent): Promise<void> {
  app.bus.publish(sessionTopic(session.id), event, { session });
  try {
    for (const studentId of await enrolledStudentIds(app.db, session.courseId)) {
      app.bus.publish(userTopic(studentId), event, { session });
    }
  } catch (err) {
    app.log.warn({ err, sessionId: session.id, event }, 'could not announce the session to its students');
  }
}
