import { useQuery } from '@tanstack/react-query';
import type { AuditEvent } from '../../../../../common/roll-call.schemas.js';
import { LIMITS } from '../../../../../common/limits.js';
import { api } from '../../../lib/api-client.js';
import { sessionLiveKeys, sessionPath } from '../../../lib/queries/session-live.js';

interface AuditPage {
  items: AuditEvent[];
  nextCursor: string | null;
}

export const getRecordHistory = (sessionId: string, studentId: string, signal?: AbortSignal) =>
  api<AuditPage>(`${sessionPath(sessionId)}/audit`, {
    query: { studentId, limit: LIMITS.pageSizeMax },
    signal,
  });

/** Every change of one student's record in the session, newest first (who, when, before → after, why). */
export function useRecordHistory(sessionId: string, studentId: string | null) {
  return useQuery({
    queryKey: sessionLiveKeys.audit(sessionId, studentId ?? ''),
    queryFn: ({ signal }) => getRecordHistory(sessionId, studentId!, signal),
    enabled: Boolean(studentId),
    meta: { inlineErrors: true },
  });
}
