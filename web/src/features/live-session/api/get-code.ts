import { useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import type { codeResponseSchema } from '../../../../../common/attendance.schemas.js';
import { api } from '../../../lib/api-client.js';

export type SessionCode = z.infer<typeof codeResponseSchema>;

export const codeQueryKey = (sessionId: string) => ['sessions', sessionId, 'code'] as const;

export const getSessionCode = (sessionId: string, signal?: AbortSignal) =>
  api<SessionCode>(`/api/sessions/${encodeURIComponent(sessionId)}/code`, { signal });

/**
 * The current typed code and QR URL of an open session. CODE_ROTATED replaces it live; the
 * projector also refetches at `expiresAt` in case an event was missed.
 */
export function useSessionCode(sessionId: string, enabled: boolean) {
  return useQuery({
    queryKey: codeQueryKey(sessionId),
    queryFn: ({ signal }) => getSessionCode(sessionId, signal),
    enabled,
    staleTime: Infinity,
    meta: { inlineErrors: true },
  });
}
