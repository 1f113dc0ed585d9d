import { useState } from 'react';
import { Badge, Button, Card, Center, Group, Loader, Stack, Switch, Text } from '@mantine/core';
import { IconChevronDown, IconChevronUp, IconSend, IconTrash } from '@tabler/icons-react';
import type { Webhook } from '../../../../../common/webhook.schemas.js';
import { QueryError } from '../../../components/query-error.js';
import { useSendTest } from '../api/deliveries.js';
import { useWebhooks } from '../api/get-webhooks.js';
import { useDeleteWebhook, useUpdateWebhook } from '../api/update-webhook.js';
import { DeliveriesTable } from './deliveries-table.js';

function WebhookCard({ webhook }: { webhook: Webhook }) {
  const [open, setOpen] = useState(false);
  const update = useUpdateWebhook();
  const remove = useDeleteWebhook();
  const test = useSendTest();
  return (
    <Card withBorder padding="sm" data-testid="webhook-row" data-webhook-id={webhook.id}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap" align="flex-start">
          <Stack gap={2} style={{ minWidth: 0, flex: 1 }}>
            <Text fw={600} style={{ wordBreak: 'break-all' }} data-testid="webhook-url-cell">
              {webhook.url}
            </Text>
            {webhook.description ? (
              <Text size="sm" c="dimmed">
                {webhook.description}
              </Text>
            ) : null}
            <Group gap={4}>
              {webhook.events.map((e) => (
                <Badge key={e} variant="outline" size="sm" styles={{ root: { textTransform: 'none' } }}>
                  {e === '*' ? 'all events' : e}
                </Badge>
              ))}
            </Group>
          </Stack>
          <Group gap="xs">
            <Switch
              label="Active"
              checked={webhook.active}
              disabled={update.isPending}
              onChange={(e) => update.mutate({ id: webhook.id, active: e.currentTarget.checked })}
              data-testid="webhook-active"
            />
            <Button
              size="xs"
              variant="light"
              leftSection={<IconSend size={16} />}
              loading={test.isPending}
              onClick={() => {
                setOpen(true);
                test.mutate(webhook.id);
              }}
              data-testid="send-test"
            >
              Send test
            </Button>
            <Button
              size="xs"
              variant="subtle"
              rightSection={open ? <IconChevronUp size={16} /> : <IconChevronDown size={16} />}
              onClick={() => setOpen((o) => !o)}
              aria-expanded={open}
              data-testid="toggle-deliveries"
            >
              Deliveries
            </Button>
            <Button
              size="xs"
              variant="subtle"
              color="red"
              leftSection={<IconTrash size={16} />}
              loading={remove.isPending}
              onClick={() => {
                if (window.confirm(`Remove ${webhook.url} and its delivery history?`)) remove.mutate(webhook.id);
              }}
              aria-label={`Remove ${webhook.url}`}
              data-testid="delete-webhook"
            >
              Remove
            </Button>
          </Group>
        </Group>
        {open ? <DeliveriesTable webhookId={webhook.id} /> : null}
      </Stack>
    </Card>
  );
}

/** The webhook endpoints, each with its switch, test button and deliveries. */
export function WebhooksList() {
  const webhooks = useWebhooks();
  const items = webhooks.data?.items ?? [];
  if (webhooks.isError) return <QueryError title="Could not load endpoints" error={webhooks.error} onRetry={() => void webhooks.refetch()} />;
  if (webhooks.isPending)
    return (
      <Center py="xl">
        <Loader aria-label="Loading endpoints" />
      </Center>
    );
  if (items.length === 0)
    return (
      <Text c="dimmed" ta="center" py="xl" data-testid="webhooks-empty">
        No endpoints yet. Add one to send every attendance change to a student portal or another system.
      </Text>
    );
  return (
    <Stack gap="sm" data-testid="webhooks-list">
      {items.map((w) => (
        <WebhookCard key={w.id} webhook={w} />
      ))}
    </Stack>
  );
}
