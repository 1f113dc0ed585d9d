import { useMutation } from '@tanstack/react-query';
import type { z } from 'zod';
import type { linkCheckinBody } from '../../../../../common/attendance.schemas.js';
import { api } from '../../../lib/api-client.js';
import type { CheckinResult } from './check-in.js';

export type LinkCheckinInput = z.input<typeof linkCheckinBody>;

/** Check-in without an account: student number, name and the code (where the session allows it). */
export const linkCheckIn = ({ sessionId, ...body }: LinkCheckinInput & { sessionId: string }) =>
  api<CheckinResult>(`/api/sessions/${encodeURIComponent(sessionId)}/checkin/link`, { method: 'POST', body });

export function useLinkCheckIn() {
  return useMutation({ mutationFn: linkCheckIn, meta: { inlineErrors: true } });
}
