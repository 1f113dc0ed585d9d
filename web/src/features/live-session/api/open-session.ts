import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Session, SessionPolicyPatch } from '../../../../../common/session.schemas.js';
import { api } from '../../../lib/api-client.js';
import { sessionLiveKeys, sessionPath } from '../../../lib/queries/session-live.js';

/** Opens a scheduled session with these policy changes; on an open session, changes its policy. */
export const openSession = ({ sessionId, policy }: { sessionId: string; policy: SessionPolicyPatch }) =>
  api<Session>(`${sessionPath(sessionId)}/open`, { method: 'POST', body: policy });

export function useOpenSession() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: openSession,
    onSuccess: (session) => {
      queryClient.setQueryData(sessionLiveKeys.session(session.id), session);
      // A policy change may change the code's lifetime or rotation.
      void queryClient.invalidateQueries({ queryKey: sessionLiveKeys.code(session.id) });
    },
    meta: { inlineErrors: true },
  });
}
