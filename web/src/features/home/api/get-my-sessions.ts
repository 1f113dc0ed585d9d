import { useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import type { mySessionsSchema } from '../../../../../common/calendar.schemas.js';
import { api } from '../../../lib/api-client.js';
import { dayjs } from '../../../lib/dates.js';

type MySessions = z.infer<typeof mySessionsSchema>;

/** The caller's sessions from the start of today (on this device) for `days` days. */
export function useUpcomingSessions(days: number) {
  const from = dayjs().startOf('day');
  const to = from.add(days, 'day');
  return useQuery({
    queryKey: ['me', 'sessions', { from: from.toISOString(), to: to.toISOString() }],
    queryFn: ({ signal }) => api<MySessions>('/api/me/sessions', { query: { from: from.toISOString(), to: to.toISOString() }, signal }),
    select: (data) => data.items,
    // Sessions open and close during the day: keep the list fresh while the page stays open.
    refetchInterval: 60_000,
    meta: { inlineErrors: true },
  });
}
