import { useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client.js';

/** The part of `GET /api/status` the sign-in page needs; the rest is for operators. */
export interface PublicStatus {
  version: string;
  signup?: 'off' | 'students';
}

export const getStatus = () => api<PublicStatus>('/api/status');

export function useStatus() {
  // The sign-in page works without it (no sign-up link), so a failure is not worth a notification.
  return useQuery({ queryKey: ['status'], queryFn: getStatus, staleTime: 60_000, meta: { inlineErrors: true } });
}
