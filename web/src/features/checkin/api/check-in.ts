import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import type { checkinBody, checkinResponseSchema } from '../../../../../common/attendance.schemas.js';
import { api } from '../../../lib/api-client.js';

export type CheckinInput = z.input<typeof checkinBody>;
export type CheckinResult = z.infer<typeof checkinResponseSchema>;

/** A signed-in student's check-in with the typed code or the QR token. */
export const checkIn = (input: CheckinInput) => api<CheckinResult>('/api/checkin', { method: 'POST', body: input });

export function useCheckIn() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: checkIn,
    // The student's session list (home, calendar) shows their record: read it again.
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['me', 'sessions'] });
    },
    meta: { inlineErrors: true },
  });
}
