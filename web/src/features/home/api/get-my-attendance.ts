import { useQuery } from '@tanstack/react-query';
import type { MyAttendance } from '../../../../../common/report.schemas.js';
import { api } from '../../../lib/api-client.js';

/** The student's per-course figures (the same query as the attendance page, so either warms the other). */
export function useMyAttendanceSummary() {
  return useQuery({
    queryKey: ['me', 'attendance'],
    queryFn: ({ signal }) => api<MyAttendance>('/api/me/attendance', { signal }),
    select: (data) => data.items,
    meta: { inlineErrors: true },
  });
}
