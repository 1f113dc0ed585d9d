import { useQuery } from '@tanstack/react-query';
import type { PublicSession } from '../../../../../common/attendance.schemas.js';
import { api } from '../../../lib/api-client.js';

export type { PublicSession };

export const getPublicSession = (sessionId: string, signal?: AbortSignal) =>
  api<PublicSession>(`/api/sessions/${encodeURIComponent(sessionId)}/public`, { signal });

export function usePublicSession(sessionId: string) {
  return useQuery({
    queryKey: ['public-session', sessionId],
    queryFn: ({ signal }) => getPublicSession(sessionId, signal),
    meta: { inlineErrors: true },
  });
}
