import { useCallback, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import { useMediaQuery } from '@mantine/hooks';
import { Alert, Anchor, Box, Button, Center, Chip, Group, Kbd, Loader, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconArrowLeft, IconPlayerPlay, IconSearch, IconX } from '@tabler/icons-react';
import type { AttendanceStatus } from '../../../../../common/attendance.schemas.js';
import type { Course, CourseStudent } from '../../../../../common/course.schemas.js';
import type { Session } from '../../../../../common/session.schemas.js';
import { QueryError } from '../../../components/query-error.js';
import { ConfirmModal } from '../../../components/confirm-modal.js';
import { SessionStateBadge, sessionLabel } from '../../../components/session-state-badge.js';
import { useUser } from '../../../lib/auth.js';
import { formatDate, formatTimeRange } from '../../../lib/dates.js';
import { errorMessage, notifyError } from '../../../lib/notify.js';
import type { SessionRecords } from '../../../lib/queries/session-live.js';
import { useSessionLive } from '../../../lib/use-session-live.js';
import { useMarkRecord } from '../api/mark-record.js';
import { LiveBadge } from './live-badge.js';
import { RecordDialog } from './record-dialog.js';
import { RollCallGrid } from './roll-call-grid.js';
import { RollCallSummary } from './roll-call-summary.js';
import type { RosterRow } from './student-row.js';

function omit<T>(map: Record<string, T>, key: string): Record<string, T> {
  if (!(key in map)) return map;
  const next = { ...map };
  delete next[key];
  return next;
}

function normalise(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

function Header({ session, sessionId, course }: { session: Session; sessionId: string; course: { data?: Course; isError: boolean } }) {
  return (
    <Stack gap={4} data-testid="roll-call-header">
      <Group justify="space-between" align="flex-start" gap="xs">
        <div style={{ minWidth: 0 }}>
          <Text size="sm" c="dimmed" data-testid="roll-call-course">
            {course.data ? `${course.data.code} · ${course.data.name}` : course.isError ? 'Course' : '…'}
          </Text>
          <Title order={1} fz={{ base: 'h3', sm: 'h2' }}>
            Roll call · {sessionLabel(session)}
          </Title>
          <Text size="sm" c="dimmed">
            {formatDate(session.startsAt)} · {formatTimeRange(session.startsAt, session.endsAt)}
            {session.venue ? ` · ${session.venue}` : ''}
          </Text>
        </div>
        <Group gap="xs">
          <SessionStateBadge state={session.state} />
          <LiveBadge />
          <Button
            component={Link}
            to={`/sessions/${encodeURIComponent(sessionId)}/live`}
            size="xs"
            variant="light"
            leftSection={<IconArrowLeft size={14} />}
            data-testid="roll-call-live-link"
          >
            Session page
          </Button>
        </Group>
      </Group>
    </Stack>
  );
}

/** `/sessions/:id/roll-call`: the course roster with one-tap marks, keyboard shortcuts and everyone's marks live. */
export function RollCall({ sessionId }: { sessionId: string }) {
  const { session, course, records, roster } = useSessionLive(sessionId);

  if (session.isPending) {
    return (
      <Center py="xl">
        <Loader aria-label="Loading the session" />
      </Center>
    );
  }
  if (session.isError) {
    return <QueryError title="Could not load the session" error={session.error} onRetry={() => void session.refetch()} testId="roll-call-error" />;
  }
  const s = session.data;

  return (
    <Stack gap="md" data-testid="roll-call-page" data-state={s.state}>
      <Header session={s} sessionId={sessionId} course={course} />
      {s.state === 'scheduled' ? (
        <Alert color="blue" title="Open the session first" data-testid="roll-call-not-open">
          <Stack gap="xs" align="flex-start">
            <Text size="sm">This session has not started. Open it to take the roll call; students can check in at the same time.</Text>
            <Button component={Link} to={`/sessions/${encodeURIComponent(sessionId)}/live`} size="xs" leftSection={<IconPlayerPlay size={14} />}>
              Open the session
            </Button>
          </Stack>
        </Alert>
      ) : s.state === 'cancelled' ? (
        <Alert color="red" title="This session was cancelled" data-testid="roll-call-cancelled">
          {s.cancelledReason ? `Reason: ${s.cancelledReason}. ` : ''}A cancelled session has no attendance to take.
        </Alert>
      ) : roster.isError && !roster.data ? (
        <QueryError title="Could not load the roster" error={roster.error} onRetry={() => void roster.refetch()} testId="roster-error" />
      ) : records.isError && !records.data ? (
        <QueryError title="Could not load the attendance" error={records.error} onRetry={() => void records.refetch()} testId="records-error" />
      ) : !roster.data || !records.data ? (
        <Center py="xl">
          <Loader aria-label="Loading the roster" />
        </Center>
      ) : (
        <>
          {/* A refresh that failed: the sheet stays usable with what was read before. */}
          {roster.isError || records.isError ? (
            <QueryError
              title="Could not refresh the roll call"
              error={roster.error ?? records.error}
              onRetry={() => {
                if (roster.isError) void roster.refetch();
                if (records.isError) void records.refetch();
              }}
              testId="refresh-error"
            />
          ) : null}
          <Sheet session={s} sessionId={sessionId} roster={roster.data} records={records.data} />
        </>
      )}
    </Stack>
  );
}

interface SheetProps {
  session: Session;
  sessionId: string;
  roster: CourseStudent[];
  records: SessionRecords;
}

function Sheet({ session, sessionId, roster, records }: SheetProps) {
  const me = useUser();
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  const { mutateAsync: sendMark } = useMarkRecord({ inlineErrors: true });
  const [search, setSearch] = useState('');
  const [unmarkedOnly, setUnmarkedOnly] = useState(false);
  // Rows marked while "unmarked only" is on stay in view, so the list does not jump under the keys.
  const [keepVisible, setKeepVisible] = useState<ReadonlySet<string>>(() => new Set());
  const [activeId, setActiveId] = useState<string | null>(null);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [sending, setSending] = useState<Record<string, { status: AttendanceStatus; n: number }>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const seq = useRef(0);
  const unmarkedOnlyRef = useRef(unmarkedOnly);
  unmarkedOnlyRef.current = unmarkedOnly;

  const rows = useMemo<RosterRow[]>(() => {
    const onRoster = new Set(roster.map((s) => s.id));
    const list: RosterRow[] = roster.map((s) => ({
      studentId: s.id,
      name: s.name,
      studentNumber: s.studentNumber,
      enrolled: true,
      record: records.byStudent[s.id],
      sending: sending[s.id]?.status,
      error: errors[s.id],
    }));
    // Records of students no longer on the roster still count and can still be edited.
    const extra = Object.values(records.byStudent)
      .filter((r) => !onRoster.has(r.studentId))
      .map<RosterRow>((r) => ({
        studentId: r.studentId,
        name: r.student?.name ?? 'Unknown student',
        studentNumber: r.student?.studentNumber ?? null,
        enrolled: false,
        record: r,
        sending: sending[r.studentId]?.status,
        error: errors[r.studentId],
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return [...list, ...extra];
  }, [roster, records.byStudent, sending, errors]);

  const unmarkedCount = rows.filter((r) => r.enrolled && !r.record).length;

  const visible = useMemo(() => {
    const q = normalise(search.trim());
    return rows.filter((r) => {
      if (unmarkedOnly && (r.record || r.sending) && !keepVisible.has(r.studentId)) return false;
      if (!q) return true;
      return normalise(r.name).includes(q) || normalise(r.studentNumber ?? '').includes(q);
    });
  }, [rows, search, unmarkedOnly, keepVisible]);

  const effectiveActive = activeId ?? visible[0]?.studentId ?? null;

  // Marks of one student go out one after another (two quick taps must not reach the server in the
  // wrong order), and a mark overtaken by a newer one before it was sent is not sent at all.
  const queues = useRef(new Map<string, Promise<void>>());
  const latestMark = useRef(new Map<string, number>());

  const markStudent = useCallback(
    (row: RosterRow, status: AttendanceStatus) => {
      const id = row.studentId;
      if (unmarkedOnlyRef.current) setKeepVisible((set) => new Set(set).add(id));
      const n = ++seq.current;
      latestMark.current.set(id, n);
      setSending((m) => ({ ...m, [id]: { status, n } }));
      const send = async () => {
        if (latestMark.current.get(id) !== n) return;
        try {
          await sendMark({ sessionId, studentId: id, status });
          setErrors((e) => omit(e, id));
        } catch (error) {
          setErrors((e) => ({ ...e, [id]: errorMessage(error) }));
          notifyError(error, `${row.name} was not marked ${status}`);
        }
      };
      const turn = (queues.current.get(id) ?? Promise.resolve()).then(send);
      queues.current.set(id, turn);
      void turn.finally(() => {
        if (queues.current.get(id) === turn) queues.current.delete(id);
        setSending((m) => (m[id]?.n === n ? omit(m, id) : m));
      });
    },
    [sendMark, sessionId],
  );

  // "Everyone else was here": after calling out the absent and late ones, one action marks the rest
  // present. Each mark goes through the same queue as a tap, so a mark made meanwhile is not undone.
  const [restOpen, setRestOpen] = useState(false);
  const unmarkedRows = rows.filter((r) => r.enrolled && !r.record && !r.sending);
  const markRestPresent = () => {
    for (const row of unmarkedRows) markStudent(row, 'present');
    setRestOpen(false);
  };

  const onEdit = useCallback((row: RosterRow) => setEditingId(row.studentId), []);
  const editing = editingId ? (rows.find((r) => r.studentId === editingId) ?? null) : null;

  return (
    <>
      {session.state === 'closed' ? (
        <Alert color="gray" variant="light" data-testid="roll-call-closed">
          This session is closed. You can still correct records: every change is kept in the record’s history with your note.
        </Alert>
      ) : null}
      <Box
        style={{
          // On a phone the list needs the height; from tablets up the counts stay in view.
          position: phone ? 'static' : 'sticky',
          top: 'var(--app-shell-header-height, 56px)',
          zIndex: 3,
          background: 'var(--mantine-color-body)',
          paddingBlock: 4,
        }}
      >
        <Stack gap="xs">
          <RollCallSummary summary={records.summary} />
          <Group gap="xs" wrap="wrap">
            <TextInput
              placeholder="Search name or number"
              aria-label="Search the roster"
              leftSection={<IconSearch size={16} />}
              rightSection={
                search ? (
                  <IconX size={16} style={{ cursor: 'pointer' }} aria-label="Clear the search" onClick={() => setSearch('')} />
                ) : null
              }
              value={search}
              onChange={(e) => setSearch(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape' || e.key === 'Enter') e.currentTarget.blur();
              }}
              style={{ flex: '1 1 220px' }}
              data-testid="roll-call-search"
            />
            <Chip
              checked={unmarkedOnly}
              onChange={(on) => {
                setUnmarkedOnly(on);
                setKeepVisible(new Set());
                setActiveId(null);
              }}
              data-testid="roll-call-unmarked-only"
            >
              Unmarked only ({unmarkedCount})
            </Chip>
            {unmarkedRows.length > 0 ? (
              <Button size="xs" variant="light" color="teal" onClick={() => setRestOpen(true)} data-testid="roll-call-rest-present">
                Mark the rest present ({unmarkedRows.length})
              </Button>
            ) : null}
          </Group>
        </Stack>
      </Box>
      <ConfirmModal
        opened={restOpen}
        title="Mark the rest present"
        confirmLabel={`Mark ${unmarkedRows.length} present`}
        color="teal"
        testId="roll-call-rest-dialog"
        onClose={() => setRestOpen(false)}
        onConfirm={markRestPresent}
      >
        {unmarkedRows.length} {unmarkedRows.length === 1 ? 'student who is' : 'students who are'} not marked yet will be marked present. Marks
        already made (by you, a check-in or a device) stay as they are.
      </ConfirmModal>
      <Text size="xs" c="dimmed" visibleFrom="sm" data-testid="roll-call-keys">
        Keys: <Kbd>↑</Kbd> <Kbd>↓</Kbd> (or <Kbd>K</Kbd> <Kbd>J</Kbd>) move · <Kbd>P</Kbd> present · <Kbd>L</Kbd> late · <Kbd>A</Kbd> absent ·{' '}
        <Kbd>E</Kbd> excused, then on to the next · <Kbd>Enter</Kbd> note and history
      </Text>

      {rows.length === 0 ? (
        <Text c="dimmed" ta="center" py="xl" data-testid="roll-call-empty">
          No students are enrolled in this course yet. Enroll them from the course page first.
        </Text>
      ) : visible.length === 0 ? (
        <Stack align="center" py="xl" gap="xs" data-testid="roll-call-empty">
          <Text c="dimmed">{search.trim() ? `No student matches “${search.trim()}”.` : 'Everyone is marked.'}</Text>
          {search.trim() ? (
            <Anchor component="button" type="button" onClick={() => setSearch('')}>
              Clear the search
            </Anchor>
          ) : null}
        </Stack>
      ) : (
        <RollCallGrid
          rows={visible}
          activeId={effectiveActive}
          onActiveChange={setActiveId}
          onMark={markStudent}
          onEdit={onEdit}
          keyboard={editingId === null}
        />
      )}

      <RecordDialog
        sessionId={sessionId}
        row={editing}
        canDelete={me.data?.role === 'admin'}
        closedSession={session.state === 'closed'}
        onClose={() => setEditingId(null)}
      />
    </>
  );
}
