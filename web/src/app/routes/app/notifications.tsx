import { Stack, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { NotificationsList } from '../../../features/notifications/components/notifications-list.js';

/** `/notifications`: everyone's notification centre. */
export function NotificationsRoute() {
  useDocumentTitle('Notifications · Rollbook');
  return (
    <Stack gap="md" maw={760} data-testid="notifications-page">
      <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
        Notifications
      </Title>
      <NotificationsList />
    </Stack>
  );
}
