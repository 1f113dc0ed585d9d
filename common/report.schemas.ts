import { z } from 'zod';
import { attendanceStatusSchema, recordStateSchema } from './attendance.schemas.js';
import { courseRefSchema, sessionKindSchema } from './session.schemas.js';

/**
 * Attendance figures over a student's records in a course's held (closed) sessions. Cancelled
 * sessions never count; `attended` is present + late; excused sessions are left out of the percentage.
 */
export const attendanceStatsSchema = z.object({
  /** Held sessions the student has a record in (every enrolled student gets one when a session closes). */
  total: z.number().int(),
  attended: z.number().int(),
  present: z.number().int(),
  late: z.number().int(),
  absent: z.number().int(),
  excused: z.number().int(),
  /** attended / (total − excused) × 100, one decimal; null before any session was held. */
  percentage: z.number().nullable(),
  belowThreshold: z.boolean(),
});
export type AttendanceStats = z.infer<typeof attendanceStatsSchema>;

export const myRecordLineSchema = z.object({
  sessionId: z.string(),
  kind: sessionKindSchema,
  number: z.number().int().nullable(),
  title: z.string().nullable(),
  startsAt: z.string(),
  status: attendanceStatusSchema,
  state: recordStateSchema,
  method: z.string(),
  checkedInAt: z.string().nullable(),
  /** Whether the record counts toward the percentage yet (its session has closed). */
  counted: z.boolean(),
});

export const myAttendanceSchema = z.object({
  items: z.array(
    attendanceStatsSchema.extend({
      course: courseRefSchema.extend({ thresholdPercent: z.number().int() }),
      records: z.array(myRecordLineSchema),
    }),
  ),
});
export type MyAttendance = z.infer<typeof myAttendanceSchema>;
export const myAttendanceQuery = z.object({ courseId: z.string().max(64).optional() });

export const courseReportSchema = z.object({
  course: courseRefSchema.extend({ thresholdPercent: z.number().int() }),
  /** Held sessions that count. */
  sessions: z.number().int(),
  items: z.array(
    attendanceStatsSchema.extend({
      student: z.object({ id: z.string(), name: z.string(), studentNumber: z.string().nullable() }),
    }),
  ),
  summary: z.object({
    students: z.number().int(),
    averagePercentage: z.number().nullable(),
    belowThreshold: z.number().int(),
  }),
});
export type CourseReport = z.infer<typeof courseReportSchema>;
