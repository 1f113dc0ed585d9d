import { useQuery } from '@tanstack/react-query';
import type { Absence } from '../../../../../common/absence.schemas.js';
import { api } from '../../../lib/api-client.js';

/** A student's absence requests covering this session (shown next to their record). */
export function useSessionAbsences(sessionId: string, studentId: string) {
  return useQuery({
    queryKey: ['absences', 'session', sessionId, studentId],
    queryFn: ({ signal }) => api<{ items: Absence[] }>('/api/absences', { query: { sessionId, studentId, limit: 20 }, signal }),
    select: (d) => d.items.filter((a) => a.state !== 'withdrawn'),
  });
}
