import { useState } from 'react';
import { Alert, Button, Card, Center, Group, Loader, SegmentedControl, Stack, Text } from '@mantine/core';
import { IconChecks } from '@tabler/icons-react';
import { errorMessage, notifySuccess } from '../../../lib/notify.js';
import { useNotificationPages } from '../api/get-notifications.js';
import { useMarkAllNotificationsRead } from '../api/mark-all-read.js';
import { useMarkNotificationRead } from '../api/mark-read.js';
import { NotificationItem } from './notification-item.js';
import { LoadMore } from '../../../components/load-more.js';

/** The notification centre: all or unread, mark one or all read, newest first, paged. */
export function NotificationsList() {
  const [filter, setFilter] = useState<'all' | 'unread'>('all');
  const pages = useNotificationPages(filter === 'unread');
  const markRead = useMarkNotificationRead();
  const markAll = useMarkAllNotificationsRead();
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  const unreadCount = pages.data?.pages[0]?.unreadCount ?? 0;

  return (
    <Stack gap="sm">
      <Group justify="space-between" gap="xs">
        <SegmentedControl
          aria-label="Show"
          value={filter}
          onChange={(v) => setFilter(v as 'all' | 'unread')}
          data={[
            { label: 'All', value: 'all' },
            { label: `Unread${unreadCount > 0 ? ` (${unreadCount})` : ''}`, value: 'unread' },
          ]}
          data-testid="notifications-filter"
        />
        <Button
          variant="light"
          leftSection={<IconChecks size={18} />}
          disabled={unreadCount === 0}
          loading={markAll.isPending}
          onClick={() =>
            markAll.mutate(undefined, {
              onSuccess: (r) => notifySuccess(r.updated === 1 ? '1 notification marked read.' : `${r.updated} notifications marked read.`),
            })
          }
          data-testid="notifications-mark-all"
        >
          Mark all read
        </Button>
      </Group>

      {pages.isError ? (
        <Alert color="red" title="Could not load notifications" data-testid="notifications-error">
          <Stack gap="xs" align="flex-start">
            <Text size="sm">{errorMessage(pages.error)}</Text>
            <Button size="xs" variant="light" color="red" onClick={() => void pages.refetch()}>
              Try again
            </Button>
          </Stack>
        </Alert>
      ) : null}

      {pages.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading notifications" />
        </Center>
      ) : items.length === 0 && !pages.isError ? (
        <Text c="dimmed" ta="center" py="xl" data-testid="notifications-empty">
          {filter === 'unread' ? 'You have read everything.' : 'No notifications yet. Cancelled classes, confirmed check-ins and answers to your requests will show up here.'}
        </Text>
      ) : (
        <Stack gap="xs" data-testid="notifications-items">
          {items.map((n) => (
            <Card key={n.id} withBorder padding="sm" bg={n.read ? undefined : 'var(--mantine-color-blue-light)'}>
              <NotificationItem
                notification={n}
                marking={markRead.isPending && markRead.variables === n.id}
                onMarkRead={(x) => markRead.mutate(x.id)}
              />
            </Card>
          ))}
        </Stack>
      )}

      <LoadMore query={pages} testId="notifications-load-more" />
    </Stack>
  );
}
