import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Summary } from '../../../../../common/attendance.schemas.js';
import type { Session } from '../../../../../common/session.schemas.js';
import { api } from '../../../lib/api-client.js';
import { sessionLiveKeys, sessionPath, type SessionRecords } from '../../../lib/queries/session-live.js';

export interface CloseResult {
  session: Session;
  summary: Summary;
}

/** Closes check-in: every enrolled student without a record becomes absent. */
export const closeSession = (sessionId: string) =>
  api<CloseResult>(`${sessionPath(sessionId)}/close`, { method: 'POST', body: {} });

export function useCloseSession() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: closeSession,
    onSuccess: ({ session, summary }) => {
      queryClient.setQueryData(sessionLiveKeys.session(session.id), session);
      queryClient.setQueryData<SessionRecords>(sessionLiveKeys.records(session.id), (old) => (old ? { ...old, summary } : old));
      // The new absent records are not sent one by one: take them from a fresh snapshot.
      void queryClient.invalidateQueries({ queryKey: sessionLiveKeys.records(session.id) });
    },
    meta: { inlineErrors: true },
  });
}

/** Opens a closed session again: check-in resumes with a new code; the close's absences stay until replaced. */
export const reopenSession = (sessionId: string) =>
  api<Session>(`${sessionPath(sessionId)}/reopen`, { method: 'POST', body: {} });

export function useReopenSession() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: reopenSession,
    onSuccess: (session) => {
      queryClient.setQueryData(sessionLiveKeys.session(session.id), session);
      void queryClient.invalidateQueries({ queryKey: sessionLiveKeys.records(session.id) });
    },
    meta: { inlineErrors: true },
  });
}
