import { useQuery } from '@tanstack/react-query';
import type { MyAttendance } from '../../../../../common/report.schemas.js';
import { myAttendanceQuery } from '../../../lib/queries/me.js';

export type CourseAttendance = MyAttendance['items'][number];

/** The signed-in student's figures and records, one item per enrolled course. */
export function useMyAttendance() {
  return useQuery({
    ...myAttendanceQuery(),
    select: (data) => data.items,
    meta: { inlineErrors: true },
  });
}
