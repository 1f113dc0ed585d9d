import { Badge, Tooltip } from '@mantine/core';
import { useRealtimeStatus, type RealtimeStatus } from '../lib/realtime.js';

const LOOK: Record<RealtimeStatus, { color: string; label: string; hint: string }> = {
  live: { color: 'teal', label: 'Live', hint: 'Connected: updates appear as they happen.' },
  connecting: { color: 'gray', label: 'Connecting', hint: 'Opening the live connection…' },
  reconnecting: { color: 'yellow', label: 'Reconnecting', hint: 'The live connection dropped; reconnecting. Pages refresh once it is back.' },
  offline: { color: 'red', label: 'Offline', hint: 'No live connection. Still trying; check your network.' },
};

/** The live connection's state, for the app header: a dot on phones, a labelled badge on wider screens. */
export function RealtimeIndicator() {
  const status = useRealtimeStatus();
  const look = LOOK[status];
  return (
    <Tooltip label={look.hint} withArrow multiline w={220} events={{ hover: true, focus: true, touch: true }}>
      <Badge
        variant="dot"
        color={look.color}
        size="md"
        data-testid="realtime-indicator"
        data-status={status}
        aria-live="polite"
        aria-label={`Live connection: ${look.label}`}
        tabIndex={0}
        styles={{ root: { textTransform: 'none', cursor: 'default' } }}
      >
        <span>{look.label}</span>
      </Badge>
    </Tooltip>
  );
}
