import { useState } from 'react';
import { Badge, Button, Center, Group, Loader, SegmentedControl, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconRefresh } from '@tabler/icons-react';
import type { Delivery, DeliveryState } from '../../../../../common/webhook.schemas.js';
import { QueryError } from '../../../components/query-error.js';
import { formatDateTime, fromNow } from '../../../lib/dates.js';
import { useDeliveries, useRetryDelivery } from '../api/deliveries.js';

export const DELIVERY_LOOK: Record<DeliveryState, { color: string; label: string }> = {
  delivered: { color: 'teal', label: 'Delivered' },
  pending: { color: 'yellow', label: 'Pending' },
  failed: { color: 'red', label: 'Failed' },
};

function When({ delivery }: { delivery: Delivery }) {
  const at = delivery.deliveredAt ?? delivery.nextAttemptAt;
  if (!at) return <Text span size="sm" c="dimmed">—</Text>;
  return (
    <Tooltip label={formatDateTime(at)}>
      <Text span size="sm">
        {delivery.deliveredAt ? `delivered ${fromNow(at)}` : `next try ${fromNow(at)}`}
      </Text>
    </Tooltip>
  );
}

/** One endpoint's latest deliveries: state, attempts, last answer and error, and Retry. */
export function DeliveriesTable({ webhookId }: { webhookId: string }) {
  const [filter, setFilter] = useState<'all' | DeliveryState>('all');
  const deliveries = useDeliveries(webhookId, filter === 'all' ? undefined : filter);
  const retry = useRetryDelivery();
  const items = deliveries.data?.items ?? [];

  return (
    <Stack gap="xs" data-testid="deliveries" data-webhook-id={webhookId}>
      <SegmentedControl
        size="xs"
        value={filter}
        onChange={(v) => setFilter(v as typeof filter)}
        data={[
          { value: 'all', label: 'All' },
          { value: 'pending', label: 'Pending' },
          { value: 'failed', label: 'Failed' },
          { value: 'delivered', label: 'Delivered' },
        ]}
        aria-label="Show deliveries"
        style={{ alignSelf: 'flex-start' }}
      />
      {deliveries.isError ? (
        <QueryError title="Could not load deliveries" error={deliveries.error} onRetry={() => void deliveries.refetch()} />
      ) : deliveries.isPending ? (
        <Center py="md">
          <Loader size="sm" aria-label="Loading deliveries" />
        </Center>
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="deliveries-empty">
          No deliveries yet. “Send test” queues one.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing={4} fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Event</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Attempts</Table.Th>
                <Table.Th>Last answer</Table.Th>
                <Table.Th>Last error</Table.Th>
                <Table.Th>When</Table.Th>
                <Table.Th aria-label="Actions" />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((d) => (
                <Table.Tr key={d.id} data-testid="delivery-row" data-delivery-id={d.id} data-state={d.state}>
                  <Table.Td>
                    <Text span size="sm" ff="monospace">
                      {d.type}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={DELIVERY_LOOK[d.state].color} variant="light" data-testid="delivery-state">
                      {DELIVERY_LOOK[d.state].label}
                    </Badge>
                  </Table.Td>
                  <Table.Td data-testid="delivery-attempts">{d.attempts}</Table.Td>
                  <Table.Td data-testid="delivery-last-status">{d.lastStatus ?? '—'}</Table.Td>
                  <Table.Td style={{ maxWidth: 260 }}>
                    <Text size="sm" truncate title={d.lastError ?? undefined} data-testid="delivery-last-error">
                      {d.lastError ?? '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <When delivery={d} />
                  </Table.Td>
                  <Table.Td>
                    {d.state === 'pending' ? null : (
                      <Group justify="flex-end">
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          leftSection={<IconRefresh size={14} />}
                          loading={retry.isPending && retry.variables?.deliveryId === d.id}
                          onClick={() => retry.mutate({ webhookId, deliveryId: d.id })}
                          aria-label={`Retry ${d.type} delivery`}
                          data-testid="retry-delivery"
                        >
                          Retry
                        </Button>
                      </Group>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
