import { queryOptions } from '@tanstack/react-query';
import type { Absence } from '../../../../common/absence.schemas.js';
import { LIMITS } from '../../../../common/limits.js';
import { api } from '../api-client.js';

/** A course's absence requests (not withdrawn), newest first: shown beside the students they are about. */
export const courseAbsencesQuery = (courseId: string) =>
  queryOptions({
    queryKey: ['absences', 'course', courseId],
    queryFn: ({ signal }) => api<{ items: Absence[]; nextCursor: string | null }>('/api/absences', { query: { courseId, limit: LIMITS.pageSizeMax }, signal }),
    select: (d) => {
      const byStudent = new Map<string, Absence[]>();
      for (const a of d.items) {
        if (a.state === 'withdrawn') continue;
        byStudent.set(a.studentId, [...(byStudent.get(a.studentId) ?? []), a]);
      }
      return byStudent;
    },
  });
