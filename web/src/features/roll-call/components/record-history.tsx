import { Center, Loader, Text, Timeline } from '@mantine/core';
import type { AuditEvent } from '../../../../../common/roll-call.schemas.js';
import { QueryError } from '../../../components/query-error.js';
import { formatDateTime, fromNow } from '../../../lib/dates.js';
import { useRecordHistory } from '../api/get-audit.js';
import { METHOD_LABEL } from './statuses.js';

const ACTION_LABEL: Record<string, string> = {
  'record.checked_in': 'Checked in',
  'record.marked': 'Marked',
  'record.updated': 'Changed',
  'record.confirmed': 'Confirmed',
  'record.deleted': 'Deleted',
  'record.auto_absent': 'Absent at close',
  'record.flagged': 'Flagged',
  'record.demo': 'Demo data',
};

interface RecordSnapshot {
  status?: string;
  state?: string;
  method?: string;
}

function snapshotOf(value: unknown): RecordSnapshot | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  return { status: str(v.status), state: str(v.state), method: str(v.method) };
}

function describe(s: RecordSnapshot | null): string {
  if (!s?.status) return 'no record';
  return s.state === 'pending' ? `${s.status} (pending)` : s.status;
}

function Change({ event }: { event: AuditEvent }) {
  const before = snapshotOf(event.before);
  const after = snapshotOf(event.after);
  if (!before && !after) return null;
  const method = after?.method && !before ? ` · ${METHOD_LABEL[after.method as keyof typeof METHOD_LABEL] ?? after.method}` : '';
  return (
    <Text size="sm" data-testid="history-change">
      {describe(before)} → {describe(after)}
      {method}
    </Text>
  );
}

/** Every change of one student's record in this session, newest first: who, when, before → after, why. */
export function RecordHistory({ sessionId, studentId }: { sessionId: string; studentId: string }) {
  const history = useRecordHistory(sessionId, studentId);
  if (history.isPending) {
    return (
      <Center py="sm">
        <Loader size="sm" aria-label="Loading history" />
      </Center>
    );
  }
  if (history.isError) {
    return <QueryError title="Could not load the history" error={history.error} onRetry={() => void history.refetch()} testId="history-error" />;
  }
  const items = history.data.items;
  if (items.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="history-empty">
        No changes yet: this student has no record in this session.
      </Text>
    );
  }
  return (
    <Timeline bulletSize={14} lineWidth={2} data-testid="record-history">
      {items.map((event) => (
        <Timeline.Item key={event.id} title={ACTION_LABEL[event.action] ?? event.action} data-testid="history-item" data-action={event.action}>
          <Change event={event} />
          {event.reason ? (
            <Text size="sm" fs="italic" data-testid="history-reason">
              “{event.reason}”
            </Text>
          ) : null}
          <Text size="xs" c="dimmed">
            {event.actorName ?? (event.actorId ? 'someone' : 'Rollbook')} ·{' '}
            <span title={formatDateTime(event.at)}>
              {formatDateTime(event.at)} ({fromNow(event.at)})
            </span>
          </Text>
        </Timeline.Item>
      ))}
    </Timeline>
  );
}
