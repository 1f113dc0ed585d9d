import { Badge } from '@mantine/core';
import { sessionLabel as kindNumberLabel, type SessionKind, type SessionState } from '../../../common/session.schemas.js';

export const SESSION_STATE_COLOR: Record<SessionState, string> = { scheduled: 'blue', open: 'teal', closed: 'gray', cancelled: 'red' };
const LABELS: Record<SessionState, string> = { scheduled: 'Scheduled', open: 'Open now', closed: 'Closed', cancelled: 'Cancelled' };

/** A session's state, the same colours everywhere. */
export function SessionStateBadge({ state }: { state: SessionState }) {
  return (
    <Badge variant={state === 'open' ? 'filled' : 'light'} color={SESSION_STATE_COLOR[state]} data-testid="session-state" data-state={state}>
      {LABELS[state]}
    </Badge>
  );
}

/** The kinds a session can be, for a Select. */
export const SESSION_KIND_OPTIONS = [
  { value: 'lecture', label: 'Lecture' },
  { value: 'lab', label: 'Lab' },
  { value: 'tutorial', label: 'Tutorial' },
  { value: 'exam', label: 'Exam' },
  { value: 'other', label: 'Other' },
];

/** "Lecture 3", "Lab 2 · Circuits"; a cancelled session has no number ("Lecture · Revision"). */
export function sessionLabel(session: { kind?: SessionKind; number: number | null; title: string | null }): string {
  const label = kindNumberLabel(session.kind, session.number);
  return session.title ? `${label} · ${session.title}` : label;
}
