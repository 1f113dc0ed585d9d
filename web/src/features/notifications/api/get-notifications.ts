import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { NotificationPage } from '../../../../../common/notification.schemas.js';
import { api } from '../../../lib/api-client.js';

export const notificationsQueryKey = ['notifications'] as const;

export const NOTIFICATIONS_PAGE_SIZE = 30;
/** How many the bell's menu shows. */
export const BELL_PREVIEW_SIZE = 5;

export function getNotifications(
  params: { unread: boolean; limit: number; cursor?: string },
  signal?: AbortSignal,
): Promise<NotificationPage> {
  return api<NotificationPage>('/api/notifications', {
    query: { unread: params.unread ? 'true' : 'false', limit: params.limit, cursor: params.cursor },
    signal,
  });
}

/** The newest few, with the unread count: what the bell shows. */
export function useLatestNotifications() {
  return useQuery({
    queryKey: [...notificationsQueryKey, 'latest'],
    queryFn: ({ signal }) => getNotifications({ unread: false, limit: BELL_PREVIEW_SIZE }, signal),
    // The bell lives in the header on every page; a failure shows in the bell, not as a toast each time.
    meta: { inlineErrors: true },
    staleTime: 60_000,
  });
}

/** Pages of notifications for the notifications page; "Load more" follows `nextCursor`. */
export function useNotificationPages(unreadOnly: boolean) {
  return useInfiniteQuery({
    queryKey: [...notificationsQueryKey, 'list', { unreadOnly }],
    queryFn: ({ pageParam, signal }) =>
      getNotifications({ unread: unreadOnly, limit: NOTIFICATIONS_PAGE_SIZE, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    meta: { inlineErrors: true },
  });
}
