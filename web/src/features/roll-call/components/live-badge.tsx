import { Badge, Tooltip } from '@mantine/core';
import { useRealtimeStatus, type RealtimeStatus } from '../../../lib/realtime.js';

const LOOK: Record<RealtimeStatus, { color: string; label: string; hint: string }> = {
  live: { color: 'teal', label: 'Live', hint: "Marks by other teachers and students' check-ins appear as they happen." },
  connecting: { color: 'gray', label: 'Connecting…', hint: 'Opening the live connection.' },
  reconnecting: {
    color: 'yellow',
    label: 'Reconnecting…',
    hint: "Others' marks are not arriving right now. Your own marks still save; the list is re-read once the connection is back.",
  },
  offline: {
    color: 'red',
    label: 'Offline',
    hint: "No live connection: others' marks will not show until it is back, and your marks may fail. Still trying.",
  },
};

/** Whether this roll call is receiving others' marks right now. */
export function LiveBadge() {
  const status = useRealtimeStatus();
  const look = LOOK[status];
  return (
    <Tooltip label={look.hint} multiline w={260} withArrow events={{ hover: true, focus: true, touch: true }}>
      <Badge
        variant={status === 'live' ? 'dot' : 'light'}
        color={look.color}
        size="lg"
        tabIndex={0}
        data-testid="roll-call-live"
        data-status={status}
        aria-label={`Live updates: ${look.label}`}
        styles={{ root: { textTransform: 'none', cursor: 'default' } }}
      >
        {look.label}
      </Badge>
    </Tooltip>
  );
}
