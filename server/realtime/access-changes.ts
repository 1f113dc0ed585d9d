import type { FastifyInstance } from 'fastify';

/** Why a socket lost a topic (`UNSUBSCRIBED {topic, reason}`). */
export type AccessChangeReason = 'account_changed' | 'deactivated' | 'course_changed' | 'unenrolled';

/**
 * Someone's access may have shrunk: every node re-checks the sockets of `userIds`, and the sockets
 * listening to the sessions of `courseId`, against the database.
 */
export interface AccessChange {
  userIds?: string[];
  courseId?: string;
  reason: AccessChangeReason;
}

/** Internal bus topic; no socket can subscribe to it (there is no `internal` topic rule). */
export const ACCESS_TOPIC = 'internal:access';
export const ACCESS_EVENT = 'ACCESS_CHANGED';

/** Tells every node (through the bus) to re-check sockets after a change is committed. */
export function announceAccessChange(app: FastifyInstance, change: AccessChange): void {
  app.bus.publish(ACCESS_TOPIC, ACCESS_EVENT, change);
}
