import { z } from 'zod';
import { recordSchema, recordStudentSchema, summarySchema } from './attendance.schemas.js';
import { notificationSchema, notificationsReadEventSchema } from './notification.schemas.js';
import { sessionSchema } from './session.schemas.js';

/**
 * Every event the server pushes on a topic (`{"event", "topic", "data"}`), as one discriminated
 * union: the server's `publish` is typed by it and the web client parses frames with it.
 * Replies to client messages (READY, ACK, ERROR, PONG, SUMMARY, MY_ATTENDANCE replies) use the same
 * data shapes where the event names match.
 */
const ev = <E extends string, D extends z.ZodType>(event: E, data: D) => z.object({ event: z.literal(event), data });

const sessionData = z.object({ session: sessionSchema });

export const checkinEventSchema = ev('CHECKIN', z.object({ record: recordSchema, student: recordStudentSchema }));
export const recordUpdatedEventSchema = ev('RECORD_UPDATED', z.object({ record: recordSchema }));
export const recordDeletedEventSchema = ev(
  'RECORD_DELETED',
  z.object({ sessionId: z.string(), studentId: z.string(), recordId: z.string() }),
);
export const summaryEventSchema = ev('SUMMARY', z.object({ sessionId: z.string(), summary: summarySchema }));
export const codeRotatedEventSchema = ev(
  'CODE_ROTATED',
  z.object({ sessionId: z.string(), code: z.string(), expiresAt: z.string(), url: z.string() }),
);
export const sessionOpenedEventSchema = ev('SESSION_OPENED', sessionData);
export const sessionClosedEventSchema = ev('SESSION_CLOSED', sessionData);
export const sessionCancelledEventSchema = ev('SESSION_CANCELLED', sessionData);
export const sessionUpdatedEventSchema = ev('SESSION_UPDATED', sessionData);
/**
 * On `session:<id>`: students were enrolled in (`added`) or taken off (`removed`) the session's course
 * while the session is open. The course's roster is to be read again; a SUMMARY with the new
 * `enrolled` count follows.
 */
export const rosterChangedEventSchema = ev(
  'ROSTER_CHANGED',
  z.object({ sessionId: z.string(), courseId: z.string(), added: z.array(z.string()), removed: z.array(z.string()) }),
);
/** On `user:<id>`: the student's own record in a session was created, changed or deleted (`record: null`). */
export const myAttendanceEventSchema = ev('MY_ATTENDANCE', z.object({ sessionId: z.string(), record: recordSchema.nullable() }));
export const notificationEventSchema = ev('NOTIFICATION', z.object({ notification: notificationSchema }));
export const notificationsReadEventSchema2 = ev('NOTIFICATIONS_READ', notificationsReadEventSchema);
/** A topic the socket held was dropped because its user may no longer see it. */
export const unsubscribedEventSchema = ev('UNSUBSCRIBED', z.object({ topic: z.string(), reason: z.string() }));

export const liveEventSchema = z.discriminatedUnion('event', [
  checkinEventSchema,
  recordUpdatedEventSchema,
  recordDeletedEventSchema,
  summaryEventSchema,
  codeRotatedEventSchema,
  sessionOpenedEventSchema,
  sessionClosedEventSchema,
  sessionCancelledEventSchema,
  sessionUpdatedEventSchema,
  rosterChangedEventSchema,
  myAttendanceEventSchema,
  notificationEventSchema,
  notificationsReadEventSchema2,
  unsubscribedEventSchema,
]);
export type LiveEvent = z.infer<typeof liveEventSchema>;
export type LiveEventName = LiveEvent['event'];
export type LiveEventData<E extends LiveEventName> = Extract<LiveEvent, { event: E }>['data'];

/** Session lifecycle events: to the session's staff and to every enrolled student's user topic. */
export type SessionLifecycleEvent = 'SESSION_OPENED' | 'SESSION_CLOSED' | 'SESSION_CANCELLED' | 'SESSION_UPDATED';

/** `user:<id>`: a person's notifications and, for students, their own attendance and sessions. */
export const userTopic = (userId: string): string => `user:${userId}`;
/** `session:<id>`: one class meeting's live events for its staff. */
export const sessionTopic = (sessionId: string): string => `session:${sessionId}`;
