import { ActionIcon, Box, Group, Stack, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { IconCheck } from '@tabler/icons-react';
import { renderNotification, type Notification } from '../../../../../common/notification.schemas.js';
import { formatDateTime, fromNow } from '../../../lib/dates.js';

interface NotificationItemProps {
  notification: Notification;
  onMarkRead?: (notification: Notification) => void;
  marking?: boolean;
  /** Smaller type, for the bell's menu. */
  compact?: boolean;
}

/** One notification: its title and body in the same words as the e-mail, when, and read or not. */
export function NotificationItem({ notification, onMarkRead, marking, compact }: NotificationItemProps) {
  const { title, body } = renderNotification(notification.kind, notification.payload);
  return (
    <Group
      wrap="nowrap"
      align="flex-start"
      gap="sm"
      data-testid={`notification-${notification.id}`}
      data-read={notification.read ? 'true' : 'false'}
    >
      <Box
        mt={compact ? 6 : 8}
        w={8}
        h={8}
        style={{ flex: 'none', borderRadius: 8, background: notification.read ? 'transparent' : 'var(--mantine-color-blue-6)' }}
        aria-hidden
      />
      <Stack gap={2} style={{ flex: 1, minWidth: 0 }}>
        <Text fw={notification.read ? 500 : 700} size={compact ? 'sm' : 'md'}>
          {title}
          {notification.read ? null : <VisuallyHidden> (unread)</VisuallyHidden>}
        </Text>
        <Text size={compact ? 'xs' : 'sm'} c="dimmed" style={{ overflowWrap: 'anywhere' }}>
          {body}
        </Text>
        <Tooltip label={formatDateTime(notification.createdAt)} openDelay={400}>
          <Text size="xs" c="dimmed" component="time" dateTime={notification.createdAt} w="fit-content">
            {fromNow(notification.createdAt)}
          </Text>
        </Tooltip>
      </Stack>
      {onMarkRead && !notification.read ? (
        <Tooltip label="Mark read">
          <ActionIcon
            variant="subtle"
            aria-label={`Mark “${title}” read`}
            onClick={() => onMarkRead(notification)}
            loading={marking}
            data-testid="notification-mark-read"
          >
            <IconCheck size={18} />
          </ActionIcon>
        </Tooltip>
      ) : null}
    </Group>
  );
}
