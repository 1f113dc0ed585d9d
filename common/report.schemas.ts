import { z } from 'zod';
import { isoDate } from './common.schemas.js';
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

/** GET /api/courses/:id/grid: students × held sessions (oldest first); a cell is the record's status or null. */
export const courseGridSchema = z.object({
  course: courseRefSchema.extend({ thresholdPercent: z.number().int() }),
  sessions: z.array(
    z.object({
      id: z.string(),
      number: z.number().int().nullable(),
      title: z.string().nullable(),
      startsAt: z.string(),
      /** Share of the session's counted records that attended (present + late), one decimal; null when none count. */
      percentage: z.number().nullable(),
    }),
  ),
  students: z.array(
    z.object({
      student: z.object({ id: z.string(), name: z.string(), studentNumber: z.string().nullable() }),
      cells: z.array(attendanceStatusSchema.nullable()),
      percentage: z.number().nullable(),
      belowThreshold: z.boolean(),
    }),
  ),
});
export type CourseGrid = z.infer<typeof courseGridSchema>;


export const overviewQuery = z
  .object({
    from: isoDate.optional(),
    to: isoDate.optional(),
    departmentId: z.string().max(64).optional(),
    term: z.string().trim().max(100).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['to'] });
export type OverviewQuery = z.infer<typeof overviewQuery>;

const overviewFigures = {
  heldSessions: z.number().int(),
  /** Attended ÷ counted records over the held sessions, one decimal; null without any. */
  averagePercentage: z.number().nullable(),
  students: z.number().int(),
  belowThreshold: z.number().int(),
};

/** GET /api/reports/overview: the institution per department and course, with a weekly trend. */
export const overviewSchema = z.object({
  from: z.string().nullable(),
  to: z.string().nullable(),
  totals: z.object(overviewFigures),
  departments: z.array(z.object({ id: z.string().nullable(), code: z.string().nullable(), name: z.string(), ...overviewFigures })),
  courses: z.array(
    z.object({
      id: z.string(),
      code: z.string(),
      name: z.string(),
      departmentId: z.string().nullable(),
      term: z.string().nullable(),
      thresholdPercent: z.number().int(),
      ...overviewFigures,
      /** Attendance per week (Monday in TIMEZONE), for a sparkline. */
      trend: z.array(z.object({ week: z.string(), percentage: z.number().nullable() })),
    }),
  ),
  /** Attendance per week (Monday in TIMEZONE) over every listed course. */
  weekly: z.array(z.object({ week: z.string(), heldSessions: z.number().int(), percentage: z.number().nullable() })),
});
export type Overview = z.infer<typeof overviewSchema>;

/** Check-in responses carry the course attendance right after the check-in (seed 003's success page). */
export const checkinAttendanceSchema = z.object({
  percentage: z.number().nullable(),
  attended: z.number().int(),
  total: z.number().int(),
});
export type CheckinAttendance = z.infer<typeof checkinAttendanceSchema>;
