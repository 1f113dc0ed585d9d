import { useQuery } from '@tanstack/react-query';
import { dayjs } from '../../../lib/dates.js';
import { mySessionsQuery } from '../../../lib/queries/me.js';

/** The caller's sessions from the start of today (on this device) for `days` days. */
export function useUpcomingSessions(days: number) {
  const from = dayjs().startOf('day');
  const to = from.add(days, 'day');
  return useQuery({
    ...mySessionsQuery(from.toISOString(), to.toISOString()),
    select: (data) => data.items,
    // Opening, closing and marks arrive live (useMyLiveUpdates); this only catches a day rolling over.
    refetchInterval: 300_000,
    meta: { inlineErrors: true },
  });
}
