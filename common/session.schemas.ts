import { z } from 'zod';
import { idSchema, isoDate, isoDateTime, pageQuery } from './common.schemas.js';
import { LIMITS } from './limits.js';

export const sessionStateSchema = z.enum(['scheduled', 'open', 'closed', 'cancelled']);
export type SessionState = z.infer<typeof sessionStateSchema>;

/** What kind of meeting a session is; each kind is numbered on its own ("Lab 3"). */
export const sessionKindSchema = z.enum(['lecture', 'lab', 'tutorial', 'exam', 'other']);
export type SessionKind = z.infer<typeof sessionKindSchema>;

/**
 * The shortest code rotation. A student needs a few seconds to read and type six characters, and
 * every step is a CODE_ROTATED frame to every watcher, so shorter periods are refused (400), never
 * silently raised.
 */
const KIND_LABELS: Record<SessionKind, string> = { lecture: 'Lecture', lab: 'Lab', tutorial: 'Tutorial', exam: 'Exam', other: 'Session' };

/** "Lecture 3", "Lab 2"; a cancelled (unnumbered) session is just "Lecture". */
export function sessionLabel(kind: SessionKind | undefined, number: number | null | undefined): string {
  const word = KIND_LABELS[kind ?? 'lecture'] ?? 'Session';
  return number ? `${word} ${number}` : word;
}

/** A scheduled session may be opened from this long before its start (never earlier: no check-in into a future class). */
export const OPEN_EARLY_MINUTES = 60;

/** The first moment a scheduled session can be opened. */
export function opensFrom(startsAt: string): Date {
  return new Date(Date.parse(startsAt) - OPEN_EARLY_MINUTES * 60_000);
}

export const MIN_CODE_ROTATE_SECONDS = 10;

export const checkinMethodSchema = z.enum(['code', 'qr', 'link', 'rollcall', 'device']);
export type CheckinMethod = z.infer<typeof checkinMethodSchema>;

export const geofenceSchema = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  radiusM: z.number().positive().max(100_000),
  mode: z.enum(['flag', 'reject']),
});

const network = z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()]);

const policyFields = {
  methods: z.array(checkinMethodSchema).max(5),
  codeTtlSeconds: z.number().int().min(10).max(86_400),
  codeRotateSeconds: z
    .number()
    .int()
    .min(0)
    .max(3600)
    .refine((v) => v === 0 || v >= MIN_CODE_ROTATE_SECONDS, `0 (no rotation) or ${MIN_CODE_ROTATE_SECONDS} to 3600 seconds`),
  lateAfterMinutes: z.number().int().min(0).max(1440),
  requireApproval: z.boolean(),
  deviceId: idSchema.nullable(),
  geofence: geofenceSchema.nullable(),
  allowedNetworks: z.array(network).max(50),
  allowSelfEnroll: z.boolean(),
};

/** A session's check-in policy (API.md). Stored complete on every session. */
export const sessionPolicySchema = z.object(policyFields);
export type SessionPolicy = z.infer<typeof sessionPolicySchema>;

/** Any subset of the policy; what is left out keeps its current (or default) value. */
export const sessionPolicyPatch = z.strictObject(policyFields).partial();
export type SessionPolicyPatch = z.infer<typeof sessionPolicyPatch>;

/** The policy of a new session: API.md's defaults, late-after from its course. */
export function defaultPolicy(lateAfterMinutes: number): SessionPolicy {
  return {
    // Not 'link': anyone who sees the code could record any student number with it (API.md).
    methods: ['code', 'qr', 'rollcall', 'device'],
    codeTtlSeconds: 600,
    codeRotateSeconds: 0,
    lateAfterMinutes,
    requireApproval: false,
    deviceId: null,
    geofence: null,
    allowedNetworks: [],
    allowSelfEnroll: false,
  };
}

export const sessionSchema = z.object({
  id: z.string(),
  courseId: z.string(),
  kind: sessionKindSchema,
  /**
   * "Lab N": counts the course's non-cancelled sessions of this kind in start order; frozen once the
   * session has been opened; null when cancelled.
   */
  number: z.number().int().nullable(),
  title: z.string().nullable(),
  startsAt: z.string(),
  endsAt: z.string(),
  venue: z.string().nullable(),
  state: sessionStateSchema,
  openedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
  cancelledReason: z.string().nullable(),
  policy: sessionPolicySchema,
});
export type Session = z.infer<typeof sessionSchema>;

export const courseRefSchema = z.object({ id: z.string(), code: z.string(), name: z.string() });
export type CourseRef = z.infer<typeof courseRefSchema>;

/** A session with the little of its course a list or calendar shows. */
export const sessionWithCourseSchema = sessionSchema.extend({ course: courseRefSchema });
export type SessionWithCourse = z.infer<typeof sessionWithCourseSchema>;

const title = z.string().trim().min(1).max(LIMITS.nameMax);
const venue = z.string().trim().min(1).max(LIMITS.venueMax);

export const createSessionBody = z.strictObject({
  kind: sessionKindSchema.default('lecture'),
  startsAt: isoDateTime,
  endsAt: isoDateTime,
  venue: venue.nullable().optional(),
  title: title.nullable().optional(),
  policy: sessionPolicyPatch.optional(),
});
export type CreateSessionInput = z.infer<typeof createSessionBody>;

export const updateSessionBody = z.strictObject({
  kind: sessionKindSchema.optional(),
  startsAt: isoDateTime.optional(),
  endsAt: isoDateTime.optional(),
  venue: venue.nullable().optional(),
  title: title.nullable().optional(),
  policy: sessionPolicyPatch.optional(),
});
export type UpdateSessionInput = z.infer<typeof updateSessionBody>;

export const localDateSchema = isoDate;
export const localTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time like 09:00');

/** A weekly pattern; dates and times are wall-clock in the institution's TIMEZONE. */
export const bulkSessionsBody = z.strictObject({
  kind: sessionKindSchema.default('lecture'),
  from: localDateSchema,
  until: localDateSchema,
  /** ISO weekdays: 1 = Monday … 7 = Sunday. */
  weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7),
  startTime: localTimeSchema,
  endTime: localTimeSchema,
  venue: venue.nullable().optional(),
  title: title.nullable().optional(),
  /** Holidays and other dates to leave out. */
  skipDates: z.array(localDateSchema).max(400).optional(),
  policy: sessionPolicyPatch.optional(),
});
export type BulkSessionsInput = z.infer<typeof bulkSessionsBody>;

export const bulkPreviewSchema = z.object({
  timezone: z.string(),
  items: z.array(
    z.object({
      date: z.string(),
      weekday: z.number().int(),
      startsAt: z.string(),
      endsAt: z.string(),
      /** The number the session would get among the course's sessions of its kind. */
      number: z.number().int(),
    }),
  ),
  /** Dates in the pattern left out because they were in skipDates. */
  skipped: z.array(z.string()),
});
export type BulkPreview = z.infer<typeof bulkPreviewSchema>;

export const cancelSessionBody = z.strictObject({ reason: z.string().trim().min(1).max(LIMITS.textMax) });

/** `from`/`to`: a date (whole days in TIMEZONE, `to` inclusive) or a date-time; filters on the start. */
export const rangeBound = z.union([localDateSchema, isoDateTime]);

export const listSessionsQuery = pageQuery.extend({
  courseId: idSchema.optional(),
  from: rangeBound.optional(),
  to: rangeBound.optional(),
  state: sessionStateSchema.optional(),
});
export type ListSessionsQuery = z.infer<typeof listSessionsQuery>;
