import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ActionIcon, Button, Card, Center, Group, Loader, Menu, SegmentedControl, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconBan, IconCalendarPlus, IconDots, IconListCheck, IconPencil, IconPlayerPlay, IconPlus, IconTrash } from '@tabler/icons-react';
import { opensFrom, type Session } from '../../../../../common/session.schemas.js';
import { ConfirmModal } from '../../../components/confirm-modal.js';
import { QueryError } from '../../../components/query-error.js';
import { SessionStateBadge, sessionLabel } from '../../../components/session-state-badge.js';
import { formatDate, formatDateTime, formatTimeRange } from '../../../lib/dates.js';
import { notifyError, notifySuccess } from '../../../lib/notify.js';
import { useCourseSessions, useDeleteSession, useReopenSession } from '../api/sessions.js';
import { BulkSessionsModal } from './bulk-sessions-modal.js';
import { CancelSessionModal } from './cancel-session-modal.js';
import { SessionFormModal } from './session-form-modal.js';
import { LoadMore } from '../../../components/load-more.js';

type Show = 'upcoming' | 'past' | 'all';

interface RowActions {
  onEdit: (s: Session) => void;
  onDelete: (s: Session) => void;
  onCancel: (s: Session) => void;
  onReopen: (s: Session) => void;
}

/** "session-row-3" for lectures, "session-row-lab-2" for other kinds, by id when cancelled (no number). */
function rowTestId(session: Session): string {
  if (session.number === null) return `session-row-cancelled-${session.id}`;
  return session.kind === 'lecture' ? `session-row-${session.number}` : `session-row-${session.kind}-${session.number}`;
}

function SessionRow({ session, onEdit, onDelete, onCancel, onReopen }: RowActions & { session: Session }) {
  const scheduled = session.state === 'scheduled';
  const runnable = session.state === 'scheduled' || session.state === 'open';
  // A future session cannot be opened yet (the server refuses): say when it can, instead of a Run that fails.
  const opensAt = opensFrom(session.startsAt);
  const canRun = session.state === 'open' || (scheduled && Date.now() >= opensAt.getTime());
  return (
    <Card withBorder padding="sm" data-testid={rowTestId(session)} data-session-id={session.id} data-state={session.state}>
      <Group justify="space-between" wrap="nowrap" align="flex-start" gap="xs">
        <Stack gap={2} style={{ minWidth: 0 }}>
          <Group gap="xs">
            <Text fw={600}>{sessionLabel(session)}</Text>
            <SessionStateBadge state={session.state} />
          </Group>
          <Text size="sm">
            {formatDate(session.startsAt)} · {formatTimeRange(session.startsAt, session.endsAt)}
          </Text>
          {session.venue ? (
            <Text size="sm" c="dimmed">
              {session.venue}
            </Text>
          ) : null}
          {session.state === 'cancelled' && session.cancelledReason ? (
            <Text size="sm" c="red">
              Cancelled: {session.cancelledReason}
            </Text>
          ) : null}
        </Stack>
        <Group gap={4} wrap="nowrap" style={{ flex: 'none' }}>
          {scheduled && !canRun ? (
            <Text size="xs" c="dimmed" data-testid="session-opens-at" maw={140} ta="right">
              Check-in opens {formatDateTime(opensAt.toISOString())}
            </Text>
          ) : null}
          {session.state === 'closed' ? (
            <Button size="xs" variant="light" leftSection={<IconPlayerPlay size={14} />} onClick={() => onReopen(session)} data-testid="session-reopen">
              Reopen
            </Button>
          ) : null}
          {canRun ? (
            // The live session page (projector, roll call) belongs to the check-in feature.
            <Button
              component={Link}
              to={`/sessions/${session.id}/live`}
              size="xs"
              variant={session.state === 'open' ? 'filled' : 'light'}
              leftSection={<IconPlayerPlay size={14} />}
              data-testid="session-live-link"
            >
              {session.state === 'open' ? 'Live' : 'Run'}
            </Button>
          ) : null}
          {session.state === 'open' || session.state === 'closed' ? (
            // The roster grid (roll-call feature): marks while open, corrections after close.
            <Button
              component={Link}
              to={`/sessions/${session.id}/roll-call`}
              size="xs"
              variant="default"
              leftSection={<IconListCheck size={14} />}
              data-testid="session-roll-call-link"
            >
              Roll call
            </Button>
          ) : null}
          {runnable ? (
            <Menu position="bottom-end" withinPortal shadow="md">
              <Menu.Target>
                <ActionIcon variant="subtle" aria-label={`More for ${sessionLabel(session)}`} data-testid="session-menu">
                  <IconDots size={18} />
                </ActionIcon>
              </Menu.Target>
              <Menu.Dropdown>
                {scheduled ? (
                  <Menu.Item leftSection={<IconPencil size={16} />} onClick={() => onEdit(session)} data-testid="session-edit">
                    Edit
                  </Menu.Item>
                ) : null}
                <Menu.Item leftSection={<IconBan size={16} />} color="orange" onClick={() => onCancel(session)} data-testid="session-cancel">
                  Cancel with reason…
                </Menu.Item>
                {scheduled ? (
                  <Menu.Item leftSection={<IconTrash size={16} />} color="red" onClick={() => onDelete(session)} data-testid="session-delete">
                    Delete
                  </Menu.Item>
                ) : null}
              </Menu.Dropdown>
            </Menu>
          ) : null}
        </Group>
      </Group>
    </Card>
  );
}

/** A course's sessions ("Lecture N", state, time, venue) with add (weekly or one), edit, delete and cancel. */
export function SessionsPanel({ courseId }: { courseId: string }) {
  const sessions = useCourseSessions(courseId);
  const remove = useDeleteSession();
  const reopen = useReopenSession();
  const navigate = useNavigate();
  const [show, setShow] = useState<Show>('upcoming');
  const [bulkOpen, bulkModal] = useDisclosure(false);
  const [formOpen, setFormOpen] = useState(false);
  const [editing, setEditing] = useState<Session | null>(null);
  const [cancelling, setCancelling] = useState<Session | null>(null);
  const [deleting, setDeleting] = useState<Session | null>(null);

  const all = useMemo(() => sessions.data?.pages.flatMap((p) => p.items) ?? [], [sessions.data]);
  const visible = useMemo(() => {
    const now = Date.now();
    if (show === 'upcoming') return all.filter((s) => Date.parse(s.endsAt) >= now || s.state === 'open');
    if (show === 'past') return all.filter((s) => Date.parse(s.endsAt) < now && s.state !== 'open').reverse();
    return all;
  }, [all, show]);

  return (
    <Stack gap="sm" data-testid="sessions-panel">
      <Group justify="space-between" gap="xs">
        <SegmentedControl
          size="xs"
          aria-label="Which sessions"
          value={show}
          onChange={(v) => setShow(v as Show)}
          data={[
            { label: 'Upcoming', value: 'upcoming' },
            { label: 'Past', value: 'past' },
            { label: `All${all.length > 0 ? ` (${all.length})` : ''}`, value: 'all' },
          ]}
          data-testid="sessions-filter"
        />
        <Group gap="xs">
          <Button
            variant="default"
            leftSection={<IconPlus size={18} />}
            onClick={() => {
              setEditing(null);
              setFormOpen(true);
            }}
            data-testid="session-add-one"
          >
            Add one
          </Button>
          <Button leftSection={<IconCalendarPlus size={18} />} onClick={bulkModal.open} data-testid="sessions-add-weekly">
            Add sessions
          </Button>
        </Group>
      </Group>
      {sessions.isError ? <QueryError title="Could not load the sessions" error={sessions.error} onRetry={() => void sessions.refetch()} /> : null}
      {sessions.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading sessions" />
        </Center>
      ) : visible.length === 0 && !sessions.isError ? (
        <Text c="dimmed" ta="center" py="xl" data-testid="sessions-empty">
          {all.length === 0
            ? 'No sessions yet. “Add sessions” creates a whole term from a weekly pattern.'
            : show === 'upcoming'
              ? 'No upcoming sessions.'
              : 'No past sessions.'}
        </Text>
      ) : (
        <Stack gap="xs" data-testid="sessions-list">
          {visible.map((s) => (
            <SessionRow
              key={s.id}
              session={s}
              onEdit={(x) => {
                setEditing(x);
                setFormOpen(true);
              }}
              onDelete={(x) => {
                remove.reset();
                setDeleting(x);
              }}
              onCancel={setCancelling}
              onReopen={(x) =>
                reopen.mutate(x.id, {
                  onSuccess: () => {
                    notifySuccess(`${sessionLabel(x)} is open again for check-in.`);
                    navigate(`/sessions/${encodeURIComponent(x.id)}/live`);
                  },
                  onError: (err) => notifyError(err),
                })
              }
            />
          ))}
        </Stack>
      )}
      <LoadMore query={sessions} />
      <BulkSessionsModal courseId={courseId} opened={bulkOpen} onClose={bulkModal.close} />
      <SessionFormModal courseId={courseId} session={editing} opened={formOpen} onClose={() => setFormOpen(false)} />
      <CancelSessionModal session={cancelling} onClose={() => setCancelling(null)} />
      <ConfirmModal
        opened={deleting !== null}
        title="Delete session"
        confirmLabel="Delete"
        loading={remove.isPending}
        error={remove.error}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          remove.mutate(deleting.id, {
            onSuccess: () => {
              notifySuccess(`${sessionLabel(deleting)} is deleted.`);
              setDeleting(null);
            },
          })
        }
      >
        Delete <b>{deleting ? sessionLabel(deleting) : ''}</b>
        {deleting ? ` on ${formatDate(deleting.startsAt)}` : ''}? Use “Cancel” instead if students should be told the class is off.
      </ConfirmModal>
    </Stack>
  );
}
