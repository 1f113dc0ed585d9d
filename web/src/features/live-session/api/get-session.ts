import { useQuery } from '@tanstack/react-query';
import type { Session } from '../../../../../common/session.schemas.js';
import { api } from '../../../lib/api-client.js';

export const sessionQueryKey = (sessionId: string) => ['sessions', sessionId] as const;

export const getSession = (sessionId: string, signal?: AbortSignal) =>
  api<Session>(`/api/sessions/${encodeURIComponent(sessionId)}`, { signal });

/** The session with its policy (staff); kept current by the live events. */
export function useSession(sessionId: string) {
  return useQuery({
    queryKey: sessionQueryKey(sessionId),
    queryFn: ({ signal }) => getSession(sessionId, signal),
    meta: { inlineErrors: true },
  });
}
