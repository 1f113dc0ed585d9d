import { useQuery } from '@tanstack/react-query';
import type { SessionState } from '../../../../../common/session.schemas.js';
import { api } from '../../../lib/api-client.js';

/** What GET /api/sessions/:id/public tells anyone holding the link (server: checkin.routes.ts). */
export interface PublicSession {
  id: string;
  courseCode: string;
  courseName: string;
  number: number;
  title: string | null;
  startsAt: string;
  endsAt: string;
  venue: string | null;
  state: SessionState;
  /** The session accepts student number + name without signing in. */
  linkCheckin: boolean;
  selfEnroll: boolean;
  /** The session checks the phone's location. */
  geofence: boolean;
}

export const getPublicSession = (sessionId: string, signal?: AbortSignal) =>
  api<PublicSession>(`/api/sessions/${encodeURIComponent(sessionId)}/public`, { signal });

export function usePublicSession(sessionId: string) {
  return useQuery({
    queryKey: ['public-session', sessionId],
    queryFn: ({ signal }) => getPublicSession(sessionId, signal),
    meta: { inlineErrors: true },
  });
}
