import { useCallback, useMemo } from 'react';
import { Badge } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import type { LayoutNavItem } from '../../../components/layouts/app-layout.js';
import { useTopic } from '../../../lib/realtime.js';
import { absencesQueryKey, useAbsenceCounts } from '../api/absences.js';

/**
 * The navigation with the number of absence requests waiting for review on the Absences item
 * (teachers and admins), kept current by the notifications on the user's topic.
 */
export function useReviewNavigation(user: { id: string; role: string } | null, nav: LayoutNavItem[]): LayoutNavItem[] {
  const staff = user !== null && user.role !== 'student';
  const counts = useAbsenceCounts(staff);
  const queryClient = useQueryClient();
  const onEvent = useCallback(
    (event: string, data: unknown) => {
      const kind = (data as { notification?: { kind?: string } } | null)?.notification?.kind ?? '';
      if (event === 'NOTIFICATION' && kind.startsWith('absence_')) void queryClient.invalidateQueries({ queryKey: absencesQueryKey });
    },
    [queryClient],
  );
  useTopic(staff && user ? `user:${user.id}` : null, onEvent);
  const pending = counts.data?.pending ?? 0;
  return useMemo(
    () =>
      nav.map((item) =>
        item.to === '/absences' && pending > 0
          ? {
              ...item,
              badge: (
                <Badge size="sm" color="red" circle={pending < 10} data-testid="absences-pending-count" data-count={pending}>
                  {pending}
                </Badge>
              ),
            }
          : item,
      ),
    [nav, pending],
  );
}
