import { useQuery } from '@tanstack/react-query';
import type { AuditEvent } from '../../../../../common/roll-call.schemas.js';
import { LIMITS } from '../../../../../common/limits.js';
import { api } from '../../../lib/api-client.js';
import { rollCallKey } from './get-session.js';

interface AuditPage {
  items: AuditEvent[];
  nextCursor: string | null;
}

export const auditKey = (sessionId: string, studentId: string) => [...rollCallKey(sessionId), 'audit', studentId] as const;

export const getRecordHistory = (sessionId: string, studentId: string, signal?: AbortSignal) =>
  api<AuditPage>(`/api/sessions/${encodeURIComponent(sessionId)}/audit`, {
    query: { studentId, limit: LIMITS.pageSizeMax },
    signal,
  });

/** Every change of one student's record in the session, newest first (who, when, before → after, why). */
export function useRecordHistory(sessionId: string, studentId: string | null) {
  return useQuery({
    queryKey: auditKey(sessionId, studentId ?? ''),
    queryFn: ({ signal }) => getRecordHistory(sessionId, studentId!, signal),
    enabled: Boolean(studentId),
    meta: { inlineErrors: true },
  });
}
