import { useCallback, useState } from 'react';
import { Link } from 'react-router';
import { ActionIcon, Alert, Button, Center, Divider, Group, Indicator, Loader, Popover, ScrollArea, Stack, Text } from '@mantine/core';
import { notifications as toasts } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { IconBell } from '@tabler/icons-react';
import {
  notificationSchema,
  notificationsReadEventSchema,
  renderNotification,
  type Notification,
  type NotificationPage,
} from '../../../../../common/notification.schemas.js';
import { errorMessage } from '../../../lib/notify.js';
import { useTopic } from '../../../lib/realtime.js';
import { BELL_PREVIEW_SIZE, notificationsQueryKey, useLatestNotifications } from '../api/get-notifications.js';
import { useMarkAllNotificationsRead } from '../api/mark-all-read.js';
import { useMarkNotificationRead } from '../api/mark-read.js';
import { NotificationItem } from './notification-item.js';

const latestKey = [...notificationsQueryKey, 'latest'];

function showToast(n: Notification) {
  const { title, body } = renderNotification(n.kind, n.payload);
  toasts.show({
    // The same notification never toasts twice (e.g. delivered again after a reconnect).
    id: `notification-${n.id}`,
    title,
    message: body,
    color: 'blue',
    icon: <IconBell size={18} />,
    autoClose: 8000,
    className: 'rb-notification-toast',
  });
}

/**
 * The header's bell: unread count, the newest few in a dropdown, and live updates from `user:<id>`
 * (a new notification bumps the count and toasts; reading on another device clears it here too).
 */
export function NotificationBell({ userId }: { userId: string }) {
  const queryClient = useQueryClient();
  const [opened, setOpened] = useState(false);
  const latest = useLatestNotifications();
  const markRead = useMarkNotificationRead();
  const markAll = useMarkAllNotificationsRead();
  const unread = latest.data?.unreadCount ?? 0;

  const onEvent = useCallback(
    (event: string, data: unknown) => {
      if (event === 'NOTIFICATION') {
        const parsed = notificationSchema.safeParse((data as { notification?: unknown } | null)?.notification);
        if (!parsed.success) return;
        const n = parsed.data;
        queryClient.setQueryData<NotificationPage>(latestKey, (page) => {
          if (!page || page.items.some((i) => i.id === n.id)) return page;
          return {
            ...page,
            items: [n, ...page.items].slice(0, BELL_PREVIEW_SIZE),
            unreadCount: page.unreadCount + (n.read ? 0 : 1),
          };
        });
        // The full lists (notifications page) re-read; the bell already shows the new one.
        void queryClient.invalidateQueries({ queryKey: [...notificationsQueryKey, 'list'] });
        // A cancelled class changes the timetable on screen (home, calendar).
        if (n.kind === 'class_cancelled') void queryClient.invalidateQueries({ queryKey: ['me', 'sessions'] });
        showToast(n);
      } else if (event === 'NOTIFICATIONS_READ') {
        const parsed = notificationsReadEventSchema.safeParse(data);
        if (!parsed.success) return;
        const { ids, unreadCount } = parsed.data;
        queryClient.setQueryData<NotificationPage>(latestKey, (page) =>
          page
            ? {
                ...page,
                unreadCount,
                items: page.items.map((i) => (ids === null || ids.includes(i.id) ? { ...i, read: true } : i)),
              }
            : page,
        );
        void queryClient.invalidateQueries({ queryKey: [...notificationsQueryKey, 'list'] });
      }
    },
    [queryClient],
  );

  // Once subscribed nothing is missed: read the snapshot then (and after every reconnect).
  useTopic(`user:${userId}`, onEvent, {
    onSubscribed: () => void queryClient.invalidateQueries({ queryKey: latestKey }),
  });

  const label = unread > 0 ? `Notifications (${unread} unread)` : 'Notifications';

  return (
    <Popover opened={opened} onChange={setOpened} position="bottom-end" width={340} shadow="md" withinPortal trapFocus={false}>
      {/* The target is the button itself: aria-expanded belongs on it, not on the badge's wrapper. */}
      <Indicator
        label={unread > 99 ? '99+' : unread}
        size={18}
        offset={6}
        color="red"
        disabled={unread === 0}
        data-testid="notification-count"
        data-count={unread}
      >
        <Popover.Target>
          <ActionIcon
            variant="subtle"
            color="gray"
            size="lg"
            aria-label={label}
            title={label}
            onClick={() => setOpened((o) => !o)}
            data-testid="notification-bell"
          >
            <IconBell size={22} />
          </ActionIcon>
        </Popover.Target>
      </Indicator>
      <Popover.Dropdown p={0} data-testid="notification-menu" maw="calc(100vw - 16px)">
        <Group justify="space-between" px="sm" py="xs" wrap="nowrap">
          <Text fw={600}>Notifications</Text>
          {unread > 0 ? (
            <Button size="compact-xs" variant="subtle" loading={markAll.isPending} onClick={() => markAll.mutate()} data-testid="bell-mark-all">
              Mark all read
            </Button>
          ) : null}
        </Group>
        <Divider />
        <ScrollArea.Autosize mah={360}>
          <Stack gap="sm" p="sm">
            {latest.isPending ? (
              <Center py="md">
                <Loader size="sm" aria-label="Loading notifications" />
              </Center>
            ) : latest.isError ? (
              <Alert color="red" title="Could not load notifications" p="xs">
                <Stack gap={6} align="flex-start">
                  <Text size="sm">{errorMessage(latest.error)}</Text>
                  <Button size="compact-xs" variant="light" color="red" onClick={() => void latest.refetch()}>
                    Try again
                  </Button>
                </Stack>
              </Alert>
            ) : latest.data.items.length === 0 ? (
              <Text size="sm" c="dimmed" ta="center" py="md">
                No notifications yet.
              </Text>
            ) : (
              latest.data.items.map((n) => (
                <NotificationItem
                  key={n.id}
                  notification={n}
                  compact
                  marking={markRead.isPending && markRead.variables === n.id}
                  onMarkRead={(x) => markRead.mutate(x.id)}
                />
              ))
            )}
          </Stack>
        </ScrollArea.Autosize>
        <Divider />
        <Button component={Link} to="/notifications" variant="subtle" fullWidth radius={0} onClick={() => setOpened(false)} data-testid="bell-see-all">
          See all notifications
        </Button>
      </Popover.Dropdown>
    </Popover>
  );
}
