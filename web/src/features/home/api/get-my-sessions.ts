import { useQuery } from '@tanstack/react-query';
import { dayjs } from '../../../lib/dates.js';
import { mySessionsQuery } from '../../../lib/queries/me.js';

/**
 * The caller's sessions from the start of today (on this device) for `days` days — and from the day
 * before, so that a class running past midnight is still on "Today" (see SessionsOverview).
 */
export function useUpcomingSessions(days: number) {
  const today = dayjs().startOf('day');
  const from = today.subtract(1, 'day');
  const to = today.add(days, 'day');
  return useQuery({
    ...mySessionsQuery(from.toISOString(), to.toISOString()),
    select: (data) => data.items,
    // Opening, closing and marks arrive live (useMyLiveUpdates); this only catches a day rolling over.
    refetchInterval: 300_000,
    meta: { inlineErrors: true },
  });
}
