import { useEffect, useState } from 'react';
import { Badge, Button, Card, Center, Code, Group, Loader, Stack, Switch, Table, Text, Tooltip } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconKeyOff } from '@tabler/icons-react';
import type { Device } from '../../../../../common/device.schemas.js';
import { QueryError } from '../../../components/query-error.js';
import { formatDateTime, fromNow } from '../../../lib/dates.js';
import { useDevices } from '../api/get-devices.js';

/** Seen this recently: the device is probably up (it asks /api/devices/me about every minute). */
const ONLINE_WITHIN_MS = 5 * 60_000;

type DeviceState = 'revoked' | 'never' | 'online' | 'idle';

function stateOf(device: Device, now: number): DeviceState {
  if (device.revokedAt) return 'revoked';
  if (!device.lastSeenAt) return 'never';
  return now - Date.parse(device.lastSeenAt) <= ONLINE_WITHIN_MS ? 'online' : 'idle';
}

const STATE_LOOK: Record<DeviceState, { color: string; label: string }> = {
  online: { color: 'teal', label: 'Online' },
  idle: { color: 'blue', label: 'Active' },
  never: { color: 'yellow', label: 'Never connected' },
  revoked: { color: 'gray', label: 'Revoked' },
};

function StateBadge({ state }: { state: DeviceState }) {
  const look = STATE_LOOK[state];
  return (
    <Badge variant="dot" color={look.color} data-testid="device-state" data-state={state} styles={{ root: { textTransform: 'none' } }}>
      {look.label}
    </Badge>
  );
}

function LastSeen({ device }: { device: Device }) {
  if (!device.lastSeenAt) return <Text span size="sm" c="dimmed">never</Text>;
  return (
    <Tooltip label={formatDateTime(device.lastSeenAt)}>
      <Text span size="sm" data-testid="device-last-seen">
        {fromNow(device.lastSeenAt)}
      </Text>
    </Tooltip>
  );
}

function RevokeButton({ device, onRevoke }: { device: Device; onRevoke: (d: Device) => void }) {
  if (device.revokedAt) return null;
  return (
    <Button
      size="xs"
      variant="subtle"
      color="red"
      leftSection={<IconKeyOff size={16} />}
      aria-label={`Revoke ${device.name}`}
      onClick={() => onRevoke(device)}
      data-testid="revoke-device"
    >
      Revoke
    </Button>
  );
}

/** Re-renders every 30 s so "last seen 2 minutes ago" stays true. */
function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** The registered devices: name, location, key prefix, last seen, state, and revoke. */
export function DevicesList({ onRevoke }: { onRevoke: (device: Device) => void }) {
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const devices = useDevices(includeRevoked);
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  const now = useNow();
  const items = devices.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Stack gap="sm">
      <Switch
        label="Show revoked devices"
        checked={includeRevoked}
        onChange={(e) => setIncludeRevoked(e.currentTarget.checked)}
        data-testid="devices-show-revoked"
      />
      {devices.isError ? (
        <QueryError title="Could not load devices" error={devices.error} onRetry={() => void devices.refetch()} testId="devices-error" />
      ) : devices.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading devices" />
        </Center>
      ) : items.length === 0 ? (
        <Text c="dimmed" ta="center" py="xl" data-testid="devices-empty">
          {includeRevoked ? 'No devices have been registered.' : 'No active devices. Register a kiosk or card reader to take attendance without phones.'}
        </Text>
      ) : phone ? (
        <Stack gap="xs" data-testid="devices-cards">
          {items.map((device) => (
            <Card key={device.id} withBorder padding="sm" data-testid="device-row" data-device-id={device.id}>
              <Group justify="space-between" wrap="nowrap" align="flex-start">
                <Stack gap={2} style={{ minWidth: 0 }}>
                  <Text fw={600} truncate data-testid="device-name-cell">
                    {device.name}
                  </Text>
                  {device.location ? (
                    <Text size="sm" c="dimmed" truncate>
                      {device.location}
                    </Text>
                  ) : null}
                  <Text size="sm">
                    Last seen: <LastSeen device={device} />
                  </Text>
                  <Group gap="xs">
                    <StateBadge state={stateOf(device, now)} />
                    <Code>{device.keyPrefix}…</Code>
                  </Group>
                </Stack>
                <RevokeButton device={device} onRevoke={onRevoke} />
              </Group>
            </Card>
          ))}
        </Stack>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table striped highlightOnHover verticalSpacing="xs" data-testid="devices-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Location</Table.Th>
                <Table.Th>Key</Table.Th>
                <Table.Th>Last seen</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th aria-label="Actions" />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((device) => (
                <Table.Tr key={device.id} data-testid="device-row" data-device-id={device.id}>
                  <Table.Td fw={500} data-testid="device-name-cell">
                    {device.name}
                  </Table.Td>
                  <Table.Td>{device.location ?? '—'}</Table.Td>
                  <Table.Td>
                    <Code>{device.keyPrefix}…</Code>
                  </Table.Td>
                  <Table.Td>
                    <LastSeen device={device} />
                  </Table.Td>
                  <Table.Td>
                    <StateBadge state={stateOf(device, now)} />
                  </Table.Td>
                  <Table.Td>
                    <Group justify="flex-end">
                      <RevokeButton device={device} onRevoke={onRevoke} />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {devices.hasNextPage ? (
        <Group justify="flex-end">
          <Button variant="default" onClick={() => void devices.fetchNextPage()} loading={devices.isFetchingNextPage}>
            Load more
          </Button>
        </Group>
      ) : null}
    </Stack>
  );
}
