import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import type { calendarUrlSchema } from '../../../../../common/calendar.schemas.js';
import { api } from '../../../lib/api-client.js';
import { mySessionsQuery } from '../../../lib/queries/me.js';
type CalendarUrl = z.infer<typeof calendarUrlSchema>;

/** The caller's sessions starting between two instants (students: with their record). */
export function useMySessions(from: string, to: string) {
  return useQuery({
    ...mySessionsQuery(from, to),
    select: (data) => data.items,
    placeholderData: keepPreviousData,
    meta: { inlineErrors: true },
  });
}

const calendarUrlKey = ['me', 'calendar-url'] as const;

export function useCalendarUrl(enabled: boolean) {
  return useQuery({
    queryKey: calendarUrlKey,
    queryFn: ({ signal }) => api<CalendarUrl>('/api/me/calendar-url', { signal }),
    enabled,
    staleTime: Infinity,
    meta: { inlineErrors: true },
  });
}

/** A new private address; the old one stops working. */
export function useResetCalendarUrl() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api<CalendarUrl>('/api/me/calendar-url/reset', { method: 'POST', body: {} }),
    onSuccess: (data) => queryClient.setQueryData(calendarUrlKey, data),
    meta: { inlineErrors: true },
  });
}
