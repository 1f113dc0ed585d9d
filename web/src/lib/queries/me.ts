import { queryOptions } from '@tanstack/react-query';
import type { z } from 'zod';
import type { AttendanceRecord } from '../../../../common/attendance.schemas.js';
import type { mySessionsSchema } from '../../../../common/calendar.schemas.js';
import type { MyAttendance } from '../../../../common/report.schemas.js';
import { api } from '../api-client.js';

export type MySessions = z.infer<typeof mySessionsSchema>;

/**
 * The signed-in user's own data: one key family (`['me', …]`), so the live updates of `user:<id>`
 * (lib/use-my-live-updates.ts) reach every page that shows it, whichever feature reads it.
 */
export const meKeys = {
  all: ['me'] as const,
  sessions: () => [...meKeys.all, 'sessions'] as const,
  sessionsBetween: (from: string, to: string) => [...meKeys.sessions(), { from, to }] as const,
  attendance: () => [...meKeys.all, 'attendance'] as const,
  /** The student's own record in one session, as last heard (check-in result page). */
  record: (sessionId: string) => [...meKeys.all, 'record', sessionId] as const,
};

/** The caller's sessions starting between two instants (students: with their record). */
export const mySessionsQuery = (from: string, to: string) =>
  queryOptions({
    queryKey: meKeys.sessionsBetween(from, to),
    queryFn: ({ signal }) => api<MySessions>('/api/me/sessions', { query: { from, to }, signal }),
  });

/** The signed-in student's figures and records, one item per enrolled course. */
export const myAttendanceQuery = () =>
  queryOptions({
    queryKey: meKeys.attendance(),
    queryFn: ({ signal }) => api<MyAttendance>('/api/me/attendance', { signal }),
  });

/**
 * The student's record of one session: seeded by a check-in answer, then kept by MY_ATTENDANCE
 * events. Never fetched (there is no REST read of a single own record); null = none yet.
 */
export const myRecordQuery = (sessionId: string, initial: AttendanceRecord | null) =>
  queryOptions({
    queryKey: meKeys.record(sessionId),
    queryFn: () => initial,
    initialData: initial,
    staleTime: Infinity,
  });
