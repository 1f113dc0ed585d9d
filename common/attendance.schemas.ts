import { z } from 'zod';
import { idSchema } from './common.schemas.js';
import { sessionKindSchema, sessionStateSchema } from './session.schemas.js';

export const attendanceStatusSchema = z.enum(['present', 'late', 'absent', 'excused']);
export type AttendanceStatus = z.infer<typeof attendanceStatusSchema>;
export const recordStateSchema = z.enum(['confirmed', 'pending']);
export const recordMethodSchema = z.enum(['code', 'qr', 'link', 'rollcall', 'device', 'auto', 'absence']);
export type RecordMethod = z.infer<typeof recordMethodSchema>;

export const recordSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  studentId: z.string(),
  status: attendanceStatusSchema,
  state: recordStateSchema,
  method: recordMethodSchema,
  checkedInAt: z.string().nullable(),
  updatedAt: z.string(),
  updatedBy: z.string().nullable(),
  note: z.string().nullable(),
  flags: z.array(z.string()),
  version: z.number().int(),
  /**
   * Whether the record's latest change reached the webhook endpoints that want it: null when none
   * does, else the worst state over them (see docs/integrations.md).
   */
  sync: z.enum(['pending', 'delivered', 'failed']).nullable(),
});
export const recordSyncSchema = recordSchema.shape.sync;
export type RecordSync = z.infer<typeof recordSyncSchema>;
export type AttendanceRecord = z.infer<typeof recordSchema>;

export const recordStudentSchema = z.object({ id: z.string(), name: z.string(), studentNumber: z.string().nullable() });

export const summarySchema = z.object({
  enrolled: z.number().int(),
  present: z.number().int(),
  late: z.number().int(),
  absent: z.number().int(),
  excused: z.number().int(),
  pending: z.number().int(),
  unmarked: z.number().int(),
});
export type Summary = z.infer<typeof summarySchema>;

export const locationSchema = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  accuracyM: z.number().min(0).max(100_000).optional(),
});

export const checkinBody = z.strictObject({
  code: z.string().trim().min(1).max(100),
  sessionId: idSchema.optional(),
  location: locationSchema.optional(),
});

export const linkCheckinBody = z.strictObject({
  code: z.string().trim().min(1).max(100),
  studentNumber: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(200),
  location: locationSchema.optional(),
});

export const checkinResponseSchema = z.object({
  record: recordSchema,
  alreadyCheckedIn: z.boolean().optional(),
  session: z
    .object({ id: z.string(), courseCode: z.string(), courseName: z.string(), kind: sessionKindSchema, number: z.number().int().nullable(), title: z.string().nullable() })
    .optional(),
  /** The student's attendance in the course over held sessions, right after the check-in (API.md). */
  attendance: z.object({ percentage: z.number().nullable(), attended: z.number().int(), total: z.number().int() }).optional(),
});

export const codeResponseSchema = z.object({
  code: z.string(),
  expiresAt: z.string(),
  rotateSeconds: z.number().int(),
  url: z.string(),
});

export const recordWithStudentSchema = recordSchema.extend({ student: recordStudentSchema });
export const recordsResponseSchema = z.object({ items: z.array(recordWithStudentSchema), summary: summarySchema });

/** What GET /api/sessions/:id/public tells anyone holding the link: enough to show the check-in page. */
export const publicSessionSchema = z.object({
  id: z.string(),
  courseCode: z.string(),
  courseName: z.string(),
  kind: sessionKindSchema,
  number: z.number().int().nullable(),
  title: z.string().nullable(),
  startsAt: z.string(),
  endsAt: z.string(),
  venue: z.string().nullable(),
  state: sessionStateSchema,
  linkCheckin: z.boolean(),
  selfEnroll: z.boolean(),
  geofence: z.boolean(),
});
export type PublicSession = z.infer<typeof publicSessionSchema>;
