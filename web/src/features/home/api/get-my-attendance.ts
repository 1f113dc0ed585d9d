import { useQuery } from '@tanstack/react-query';
import { myAttendanceQuery } from '../../../lib/queries/me.js';

/** The student's per-course figures (the same query as the attendance page, so either warms the other). */
export function useMyAttendanceSummary() {
  return useQuery({
    ...myAttendanceQuery(),
    select: (data) => data.items,
    meta: { inlineErrors: true },
  });
}
