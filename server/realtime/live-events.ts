import type { FastifyInstance } from 'fastify';
import {
  sessionTopic,
  userTopic,
  type LiveEventData,
  type LiveEventName,
  type SessionLifecycleEvent,
} from '../../common/live-events.js';
import type { Session } from '../../common/session.schemas.js';
import { enrolledStudentIds } from '../modules/enrollments/enrollments.repository.js';
import { openSessionIdsOfCourse } from '../modules/sessions/sessions.repository.js';
import type { Bus } from './bus.js';

/** Publishes one live event, typed by the union in common/live-events.ts. Never throws or waits. */
export function publish<E extends LiveEventName>(bus: Bus, topic: string, event: E, data: LiveEventData<E>): void {
  bus.publish(topic, event, data);
}

/** `publish`, to this node's listeners only (an event each node derives for its own sockets). */
export function deliverLocally<E extends LiveEventName>(bus: Bus, topic: string, event: E, data: LiveEventData<E>): void {
  bus.deliverLocal(topic, event, data);
}

/**
 * A session's lifecycle event (opened, closed, cancelled, updated): to the session's staff on its
 * topic and to each enrolled student on their own `user:<id>` topic (students never subscribe to a
 * session topic). Called after the commit; a failure is logged, never thrown.
 */
export async function publishSessionEvent(app: FastifyInstance, session: Session, event: SessionLifecycleEvent): Promise<void> {
  try {
    publish(app.bus, sessionTopic(session.id), event, { session });
    for (const id of await enrolledStudentIds(app.db, session.courseId)) publish(app.bus, userTopic(id), event, { session });
  } catch (err) {
    app.log.warn({ err, sessionId: session.id, event }, 'could not publish a session event');
  }
}

/** Students who joined (`added`) or left (`removed`) one course's roster in one committed change. */
export interface RosterChange {
  courseId: string;
  added: string[];
  removed: string[];
}

/**
 * A course's roster changed: each of its open sessions gets `ROSTER_CHANGED` on its topic (the live
 * page, projector and roll call read the roster again) and then a fresh SUMMARY, whose `enrolled`
 * count moved (counted by each node that has sockets on the topic). Called after the commit; a failure is logged, never thrown.
 */
export async function publishRosterChange(app: FastifyInstance, change: RosterChange): Promise<void> {
  if (change.added.length === 0 && change.removed.length === 0) return;
  try {
    for (const sessionId of await openSessionIdsOfCourse(app.db, change.courseId)) {
      // Nodes with sockets on the topic count a fresh SUMMARY when this event reaches them (SummaryPublisher).
      publish(app.bus, sessionTopic(sessionId), 'ROSTER_CHANGED', { sessionId, ...change });
    }
  } catch (err) {
    app.log.warn({ err, courseId: change.courseId }, 'could not publish a roster change');
  }
}
