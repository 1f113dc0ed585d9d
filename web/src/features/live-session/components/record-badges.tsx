import { Badge, Group, Tooltip } from '@mantine/core';
import type { RecordMethod } from '../../../../../common/attendance.schemas.js';
import type { RecordSync } from '../../../../../common/webhook.schemas.js';

export const METHOD_LABELS: Record<RecordMethod, string> = {
  code: 'Typed code',
  qr: 'QR scan',
  link: 'Link (no account)',
  rollcall: 'Roll call',
  device: 'Device',
  auto: 'Not checked in',
  absence: 'Absence request',
};

/** What each flag means, for the teacher deciding whether to believe it. */
const FLAGS: Record<string, { label: string; hint: string; color: string }> = {
  'shared-device': {
    label: 'Shared device',
    hint: 'Another student checked in to this session from the same browser.',
    color: 'red',
  },
  'outside-geofence': {
    label: 'Outside area',
    hint: "The phone's location was outside the session's area.",
    color: 'red',
  },
  'no-location': {
    label: 'No location',
    hint: 'The session asks for a location and none was shared.',
    color: 'orange',
  },
  'name-mismatch': {
    label: 'Name mismatch',
    hint: 'The name typed on the link page does not match the student number.',
    color: 'red',
  },
};

export function FlagBadges({ flags }: { flags: string[] }) {
  if (flags.length === 0) return null;
  return (
    <Group gap={4} wrap="wrap" data-testid="record-flags">
      {flags.map((flag) => {
        const look = FLAGS[flag] ?? { label: flag, hint: flag, color: 'orange' };
        return (
          <Tooltip key={flag} label={look.hint} multiline w={240} withArrow events={{ hover: true, focus: true, touch: true }}>
            <Badge color={look.color} variant="outline" size="sm" data-testid={`flag-${flag}`} tabIndex={0}>
              ⚑ {look.label}
            </Badge>
          </Tooltip>
        );
      })}
    </Group>
  );
}

const SYNC: Record<NonNullable<RecordSync>, { label: string; hint: string; color: string }> = {
  delivered: { label: 'Synced', hint: 'Every integration (webhook) has received the latest change.', color: 'teal' },
  pending: { label: 'Syncing', hint: 'The latest change is on its way to the integrations.', color: 'yellow' },
  failed: { label: 'Sync failed', hint: 'An integration did not accept the latest change; an admin can retry it under Integrations.', color: 'red' },
};

/** Whether the record's latest change reached the webhook endpoints; nothing when none wants it. */
export function SyncBadge({ sync }: { sync: RecordSync | undefined }) {
  if (!sync) return null;
  const look = SYNC[sync];
  return (
    <Tooltip label={look.hint} multiline w={240} withArrow events={{ hover: true, focus: true, touch: true }}>
      <Badge color={look.color} variant="dot" size="sm" tabIndex={0} data-testid="record-sync" data-sync={sync} styles={{ root: { textTransform: 'none' } }}>
        {look.label}
      </Badge>
    </Tooltip>
  );
}
