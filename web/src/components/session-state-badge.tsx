import { Badge } from '@mantine/core';
import type { SessionState } from '../../../common/session.schemas.js';

const COLORS: Record<SessionState, string> = { scheduled: 'blue', open: 'teal', closed: 'gray', cancelled: 'red' };
const LABELS: Record<SessionState, string> = { scheduled: 'Scheduled', open: 'Open now', closed: 'Closed', cancelled: 'Cancelled' };

/** A session's state, the same colours everywhere. */
export function SessionStateBadge({ state }: { state: SessionState }) {
  return (
    <Badge variant={state === 'open' ? 'filled' : 'light'} color={COLORS[state]} data-testid="session-state" data-state={state}>
      {LABELS[state]}
    </Badge>
  );
}

/** "Lecture 3" or "Lecture 3 · Revision". */
export function sessionLabel(session: { number: number; title: string | null }): string {
  return session.title ? `Lecture ${session.number} · ${session.title}` : `Lecture ${session.number}`;
}
