import { Anchor, Button, Group, Stack, Text, Title } from '@mantine/core';
import { useDisclosure, useDocumentTitle } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { AddWebhookModal } from '../../../../features/integrations/components/add-webhook-modal.js';
import { WebhooksList } from '../../../../features/integrations/components/webhooks-list.js';

/** `/admin/integrations`: webhook endpoints that receive every attendance change, and their deliveries. */
export function IntegrationsRoute() {
  useDocumentTitle('Integrations · Rollbook');
  const [addOpened, add] = useDisclosure(false);
  return (
    <Stack gap="md" data-testid="integrations-page">
      <Group justify="space-between" gap="xs">
        <div>
          <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
            Integrations
          </Title>
          <Text size="sm" c="dimmed">
            Signed webhooks: each attendance change is POSTed, in order per session, to the endpoints below. See the{' '}
            <Anchor href="/api/docs" target="_blank">
              API docs
            </Anchor>{' '}
            and docs/integrations.md.
          </Text>
        </div>
        <Button leftSection={<IconPlus size={18} />} onClick={add.open} data-testid="add-webhook">
          Add endpoint
        </Button>
      </Group>
      <WebhooksList />
      <AddWebhookModal opened={addOpened} onClose={add.close} />
    </Stack>
  );
}
