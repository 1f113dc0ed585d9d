import { Anchor, Code, List, Paper, Stack, Text, Title } from '@mantine/core';

/** How a kiosk talks to Rollbook, in five lines; docs/devices.md has the rest. */
export function KioskHelp() {
  const origin = typeof window === 'undefined' ? '' : window.location.origin;
  return (
    <Paper withBorder p="md" radius="md" data-testid="kiosk-help">
      <Stack gap="xs">
        <Title order={2} fz="h4">
          How to connect a kiosk
        </Title>
        <List type="ordered" size="sm" spacing={6}>
          <List.Item>Register the device here and copy its key into the device’s configuration.</List.Item>
          <List.Item>
            The device posts each recognised student to <Code>POST {origin}/api/attendance/scan</Code> with the header{' '}
            <Code>Authorization: Bearer rbd_…</Code> and a JSON body like{' '}
            <Code>{'{"student_id": "120", "date": "2026-11-25", "time": "08:43:21", "scan_id": "gate1-000451"}'}</Code>. A
            unique <Code>scan_id</Code> makes retries and offline replays safe.
          </List.Item>
          <List.Item>
            A teacher picks the device when opening a session; scans land in that session (present, or late after its limit)
            and show up live.
          </List.Item>
          <List.Item>
            The device can check itself with <Code>GET {origin}/api/devices/me</Code>: its session (or none) and the server
            clock. “Last seen” above updates with every request it makes.
          </List.Item>
        </List>
        <Text size="sm" c="dimmed">
          The full guide (responses, offline queue, clocks) is <Code>docs/devices.md</Code>; a reference client is{' '}
          <Code>npm run device -- --url {origin || 'http://…'} --key rbd_… 120 121</Code>. Every endpoint is in the{' '}
          <Anchor href="/api/docs" target="_blank" rel="noreferrer">
            API reference
          </Anchor>
          .
        </Text>
      </Stack>
    </Paper>
  );
}
