import { z } from 'zod';
import { idSchema, pageQuery } from './common.schemas.js';
import { LIMITS } from './limits.js';
import { sessionKindSchema, sessionLabel, type SessionKind } from './session.schemas.js';

export const notificationKindSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_]*$/, 'snake_case');

export const notificationPayloadSchema = z.record(z.string(), z.unknown());

/** A personal notification (`NOTIFICATION {notification}` on `user:<id>` and GET /api/notifications). */
export const notificationSchema = z.object({
  id: z.string(),
  kind: z.string(),
  payload: notificationPayloadSchema,
  read: z.boolean(),
  createdAt: z.string(),
});
export type Notification = z.infer<typeof notificationSchema>;

export const listNotificationsQuery = pageQuery.extend({
  unread: z.enum(['true', 'false']).default('false'),
});

export const notificationPageSchema = z.object({
  items: z.array(notificationSchema),
  nextCursor: z.string().nullable(),
  unreadCount: z.number().int(),
});
export type NotificationPage = z.infer<typeof notificationPageSchema>;

export const readAllResultSchema = z.object({ updated: z.number().int() });

export const testNotificationBody = z.strictObject({
  userId: idSchema,
  message: z.string().trim().min(1).max(LIMITS.textMax).default('This is a test notification from Rollbook.'),
});

/** Sent on `user:<id>` when notifications were marked read (on any device of that user). */
export const notificationsReadEventSchema = z.object({
  /** The ids marked read, or null for "all". */
  ids: z.array(z.string()).nullable(),
  unreadCount: z.number().int(),
});

const sessionRef = {
  sessionId: z.string().optional(),
  courseId: z.string().optional(),
  courseCode: z.string().optional(),
  courseName: z.string().optional(),
  sessionNumber: z.number().int().nullable().optional(),
  sessionKind: sessionKindSchema.optional(),
  sessionTitle: z.string().nullable().optional(),
  startsAt: z.string().optional(),
};

/** The payload each known kind carries. Emitters should fill what they have; rendering copes with gaps. */
export const notificationPayloads = {
  checkin_confirmed: z.looseObject({ ...sessionRef, status: z.string().optional() }),
  class_cancelled: z.looseObject({ ...sessionRef, reason: z.string().nullable().optional() }),
  session_changed: z.looseObject({
    ...sessionRef,
    endsAt: z.string().optional(),
    venue: z.string().nullable().optional(),
    previous: z.looseObject({ startsAt: z.string().optional(), endsAt: z.string().optional(), venue: z.string().nullable().optional() }).optional(),
  }),
  absence_decided: z.looseObject({
    requestId: z.string().optional(),
    decision: z.enum(['approved', 'denied']),
    courseId: z.string().optional(),
    courseCode: z.string().optional(),
    courseName: z.string().optional(),
    response: z.string().nullable().optional(),
  }),
  absence_requested: z.looseObject({
    requestId: z.string().optional(),
    studentName: z.string().optional(),
    courseId: z.string().optional(),
    courseCode: z.string().optional(),
    courseName: z.string().optional(),
    sessionCount: z.number().int().optional(),
    category: z.string().optional(),
  }),
  absence_withdrawn: z.looseObject({
    requestId: z.string().optional(),
    studentName: z.string().optional(),
    courseId: z.string().optional(),
    courseCode: z.string().optional(),
    courseName: z.string().optional(),
  }),
  /** Several sessions of one course cancelled at once (a teacher's absence): one notification listing them. */
  classes_cancelled: z.looseObject({
    courseId: z.string().optional(),
    courseCode: z.string().optional(),
    courseName: z.string().optional(),
    reason: z.string().nullable().optional(),
    sessions: z.array(
      z.looseObject({ sessionId: z.string(), sessionNumber: z.number().int().nullable().optional(), sessionTitle: z.string().nullable().optional(), startsAt: z.string() }),
    ),
  }),
  test: z.looseObject({ message: z.string() }),
  attendance_warning: z.looseObject({
    warningId: z.string().optional(),
    kind: z.string().optional(),
    detail: z.string(),
    courseId: z.string().optional(),
    courseCode: z.string().optional(),
    courseName: z.string().optional(),
    studentId: z.string().optional(),
    studentName: z.string().optional(),
    /** Whom it is for: the student themself, or one of the course's teachers. */
    audience: z.enum(['student', 'teacher']),
  }),
} as const;
export type NotificationKind = keyof typeof notificationPayloads;
export type NotificationPayloadOf<K extends string> = K extends NotificationKind
  ? z.input<(typeof notificationPayloads)[K]>
  : Record<string, unknown>;

export interface RenderOptions {
  /** IANA time zone for dates (the server passes TIMEZONE; the browser leaves it to the device). */
  timeZone?: string;
  locale?: string;
}

function when(iso: string | undefined, o: RenderOptions): string | null {
  if (!iso) return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  try {
    return new Intl.DateTimeFormat(o.locale ?? 'en-GB', {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: o.timeZone,
    }).format(d);
  } catch {
    return d.toISOString();
  }
}

function courseLabel(p: { courseCode?: string; courseName?: string }): string | null {
  const parts = [p.courseCode, p.courseName].filter((s): s is string => !!s);
  return parts.length ? parts.join(' ') : null;
}

function meetingLabel(p: { courseCode?: string; courseName?: string; sessionTitle?: string | null; sessionNumber?: number | null; sessionKind?: SessionKind }): string {
  const course = courseLabel(p);
  const meeting = p.sessionTitle || (p.sessionNumber ? sessionLabel(p.sessionKind, p.sessionNumber) : null);
  return [course, meeting].filter(Boolean).join(', ') || 'your class';
}

function humanize(kind: string): string {
  const s = kind.replace(/[_-]+/g, ' ').trim();
  return s ? s[0].toUpperCase() + s.slice(1) : 'Notification';
}

/** The words a notification is shown and mailed with, the same in the web app and the mail. */
export function renderNotification(kind: string, payload: Record<string, unknown>, options: RenderOptions = {}): { title: string; body: string } {
  switch (kind) {
    case 'checkin_confirmed': {
      const p = notificationPayloads.checkin_confirmed.safeParse(payload);
      if (!p.success) break;
      const status = p.data.status && p.data.status !== 'present' ? ` (${p.data.status})` : '';
      return { title: 'Check-in confirmed', body: `Your attendance for ${meetingLabel(p.data)} was confirmed${status}.` };
    }
    case 'class_cancelled': {
      const p = notificationPayloads.class_cancelled.safeParse(payload);
      if (!p.success) break;
      const at = when(p.data.startsAt, options);
      const reason = p.data.reason ? ` Reason: ${p.data.reason}` : '';
      return {
        title: `Class cancelled${p.data.courseCode ? `: ${p.data.courseCode}` : ''}`,
        body: `${meetingLabel(p.data)}${at ? ` on ${at}` : ''} is cancelled.${reason}`,
      };
    }
    case 'session_changed': {
      const p = notificationPayloads.session_changed.safeParse(payload);
      if (!p.success) break;
      const at = when(p.data.startsAt, options);
      const changes: string[] = [];
      if (p.data.previous?.startsAt !== undefined || p.data.previous?.endsAt !== undefined) {
        const was = when(p.data.previous.startsAt ?? p.data.startsAt, options);
        changes.push(`now starts ${at ?? 'at a new time'}${was ? ` (was ${was})` : ''}`);
      }
      if (p.data.previous && 'venue' in p.data.previous) {
        changes.push(p.data.venue ? `is now in ${p.data.venue}${p.data.previous.venue ? ` (was ${p.data.previous.venue})` : ''}` : 'has no room set any more');
      }
      return {
        title: `Class changed${p.data.courseCode ? `: ${p.data.courseCode}` : ''}`,
        body: `${meetingLabel(p.data)} ${changes.join(' and ') || 'was changed'}.`,
      };
    }
    case 'absence_decided': {
      const p = notificationPayloads.absence_decided.safeParse(payload);
      if (!p.success) break;
      const course = courseLabel(p.data);
      const response = p.data.response ? ` Response: ${p.data.response}` : '';
      return {
        title: `Absence request ${p.data.decision}`,
        body: `Your absence request${course ? ` for ${course}` : ''} was ${p.data.decision}.${response}`,
      };
    }
    case 'attendance_warning': {
      const p = notificationPayloads.attendance_warning.safeParse(payload);
      if (!p.success) break;
      const course = courseLabel(p.data);
      return p.data.audience === 'teacher'
        ? {
            title: `Attendance warning: ${p.data.studentName ?? 'a student'}${p.data.courseCode ? ` in ${p.data.courseCode}` : ''}`,
            body: `${p.data.studentName ?? 'A student'}${course ? ` (${course})` : ''}: ${p.data.detail}.`,
          }
        : {
            title: `Attendance warning${p.data.courseCode ? `: ${p.data.courseCode}` : ''}`,
            body: `${course ? `${course}: ` : ''}${p.data.detail}.`,
          };
    }
    case 'absence_requested': {
      const p = notificationPayloads.absence_requested.safeParse(payload);
      if (!p.success) break;
      const course = courseLabel(p.data);
      const n = p.data.sessionCount;
      return {
        title: `Absence request${p.data.courseCode ? `: ${p.data.courseCode}` : ''}`,
        body: `${p.data.studentName ?? 'A student'} asks to be excused${n ? ` from ${n} session${n === 1 ? '' : 's'}` : ''}${course ? ` of ${course}` : ''}.`,
      };
    }
    case 'absence_withdrawn': {
      const p = notificationPayloads.absence_withdrawn.safeParse(payload);
      if (!p.success) break;
      const course = courseLabel(p.data);
      return {
        title: 'Absence request withdrawn',
        body: `${p.data.studentName ?? 'A student'} withdrew their absence request${course ? ` for ${course}` : ''}.`,
      };
    }
    case 'classes_cancelled': {
      const p = notificationPayloads.classes_cancelled.safeParse(payload);
      if (!p.success) break;
      const course = courseLabel(p.data) ?? 'your course';
      const lines = p.data.sessions.map((s) => {
        const meeting = s.sessionTitle || (s.sessionNumber ? `Lecture ${s.sessionNumber}` : 'Class');
        const at = when(s.startsAt, options);
        return `- ${meeting}${at ? ` on ${at}` : ''}`;
      });
      const reason = p.data.reason ? `\nReason: ${p.data.reason}` : '';
      const n = p.data.sessions.length;
      return {
        title: `${n === 1 ? 'Class' : `${n} classes`} cancelled${p.data.courseCode ? `: ${p.data.courseCode}` : ''}`,
        body: `These ${course} sessions are cancelled:\n${lines.join('\n')}${reason}`,
      };
    }
    case 'test': {
      const p = notificationPayloads.test.safeParse(payload);
      if (!p.success) break;
      return { title: 'Test notification', body: p.data.message };
    }
  }
  const message = typeof payload.message === 'string' ? payload.message : null;
  return { title: humanize(kind), body: message ?? 'You have a new notification in Rollbook.' };
}
