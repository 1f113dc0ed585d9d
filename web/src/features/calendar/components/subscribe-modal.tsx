import { ActionIcon, Alert, Button, CopyButton, Group, Modal, Skeleton, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy, IconRefresh } from '@tabler/icons-react';
import { QueryError } from '../../../components/query-error.js';
import { errorMessage } from '../../../lib/notify.js';
import { useCalendarUrl, useResetCalendarUrl } from '../api/my-sessions.js';

/** The private iCalendar address to paste into Google Calendar, Outlook or Apple Calendar. */
export function SubscribeModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const url = useCalendarUrl(opened);
  const reset = useResetCalendarUrl();
  const webcal = url.data?.url.replace(/^https?:/, 'webcal:');

  return (
    <Modal opened={opened} onClose={onClose} title="Subscribe in your calendar app" size="lg" closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack gap="sm" data-testid="subscribe-modal">
        <Text size="sm">
          Add this address to Google Calendar (“Other calendars → From URL”), Outlook (“Subscribe from web”) or Apple Calendar (“New
          calendar subscription”). Your sessions appear there and stay up to date; cancelled ones are marked cancelled.
        </Text>
        {url.isError ? <QueryError title="Could not get your calendar address" error={url.error} onRetry={() => void url.refetch()} /> : null}
        {url.isPending && !url.isError ? <Skeleton h={36} /> : null}
        {url.data ? (
          <Group gap="xs" wrap="nowrap" align="flex-end">
            <TextInput
              label="Calendar address"
              readOnly
              value={url.data.url}
              onFocus={(e) => e.currentTarget.select()}
              style={{ flex: 1 }}
              data-testid="calendar-url"
            />
            <CopyButton value={url.data.url} timeout={2000}>
              {({ copied, copy }) => (
                <Tooltip label={copied ? 'Copied' : 'Copy'} withArrow>
                  <ActionIcon size={36} variant={copied ? 'filled' : 'default'} color={copied ? 'teal' : undefined} onClick={copy} aria-label="Copy the address" data-testid="calendar-url-copy">
                    {copied ? <IconCheck size={18} /> : <IconCopy size={18} />}
                  </ActionIcon>
                </Tooltip>
              )}
            </CopyButton>
          </Group>
        ) : null}
        {webcal ? (
          <Button component="a" href={webcal} variant="light">
            Open in my calendar app
          </Button>
        ) : null}
        <Alert color="gray" variant="light" title="Keep it private">
          Anyone with this address can see your timetable. If it leaked, make a new one; the old address stops working.
          <Group mt="xs">
            <Button size="xs" variant="default" leftSection={<IconRefresh size={14} />} loading={reset.isPending} onClick={() => reset.mutate()} data-testid="calendar-url-reset">
              Make a new address
            </Button>
          </Group>
          {reset.isError ? (
            <Text size="sm" c="red" mt="xs">
              {errorMessage(reset.error)}
            </Text>
          ) : null}
        </Alert>
      </Stack>
    </Modal>
  );
}
