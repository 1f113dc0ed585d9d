import { useQuery } from '@tanstack/react-query';
import type { MyAttendance } from '../../../../../common/report.schemas.js';
import { api } from '../../../lib/api-client.js';

export const myAttendanceQueryKey = ['me', 'attendance'] as const;

export type CourseAttendance = MyAttendance['items'][number];

export const getMyAttendance = (signal?: AbortSignal) => api<MyAttendance>('/api/me/attendance', { signal });

/** The signed-in student's figures and records, one item per enrolled course. */
export function useMyAttendance() {
  return useQuery({
    queryKey: myAttendanceQueryKey,
    queryFn: ({ signal }) => getMyAttendance(signal),
    select: (data) => data.items,
    meta: { inlineErrors: true },
  });
}
