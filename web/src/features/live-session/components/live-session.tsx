import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { Alert, Button, Center, Grid, Group, Loader, Modal, Paper, Stack, Text, Title, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconChecks, IconDeviceDesktop, IconDoorExit, IconListCheck, IconPlayerPlay, IconSettings } from '@tabler/icons-react';
import type { Summary } from '../../../../../common/attendance.schemas.js';
import { OPEN_EARLY_MINUTES, opensFrom, type Session } from '../../../../../common/session.schemas.js';
import { formatDateTime } from '../../../lib/dates.js';
import { errorMessage, notifyError, notifySuccess } from '../../../lib/notify.js';
import { recordList } from '../../../lib/queries/session-live.js';
import { useSessionLive } from '../../../lib/use-session-live.js';
import { useConfirmAllRecords, useConfirmRecord } from '../api/confirm-records.js';
import { useReopenSession, type CloseResult } from '../api/close-session.js';
import { useOpenSession } from '../api/open-session.js';
import { formatSeconds, useCurrentCode, useSecondsLeft } from '../hooks/use-current-code.js';
import { CheckinList } from './checkin-list.js';
import { useSyncRefresh } from '../hooks/use-sync-refresh.js';
import { CloseSessionModal } from './close-session-modal.js';
import { OpenSessionPanel, PolicyForm } from './policy-form.js';
import { QrCode } from './qr-code.js';
import { SessionHeader } from './session-header.js';
import { SummaryBar } from './summary-bar.js';

function CodeCard({ sessionId }: { sessionId: string }) {
  const code = useCurrentCode(sessionId, true);
  const left = useSecondsLeft(code.data?.expiresAt);
  if (code.isError) {
    return (
      <Alert color="red" title="Could not load the code">
        {errorMessage(code.error)}
      </Alert>
    );
  }
  return (
    <Paper withBorder p="md" radius="md" data-testid="code-card">
      <Stack gap="sm" align="center">
        <Text size="sm" c="dimmed">
          Check-in code
        </Text>
        <Text ff="monospace" fw={800} fz={44} lh={1} style={{ letterSpacing: '0.12em' }} data-testid="live-code">
          {code.data?.code ?? '······'}
        </Text>
        {code.data ? <QrCode url={code.data.url} size={168} testId="live-qr" /> : <Loader />}
        {left !== null ? (
          <Text size="sm" c="dimmed">
            {code.data && code.data.rotateSeconds > 0 ? 'Changes' : 'New code'} in {formatSeconds(left)}
          </Text>
        ) : null}
      </Stack>
    </Paper>
  );
}

function ClosedNotice({ session, summary }: { session: Session; summary: Summary | undefined }) {
  return (
    <Alert color="gray" title="Check-in is closed" data-testid="closed-notice">
      Closed {session.closedAt ? formatDateTime(session.closedAt) : ''}.{' '}
      {summary
        ? `${summary.present} present, ${summary.late} late, ${summary.absent} absent${summary.excused ? `, ${summary.excused} excused` : ''}${summary.pending ? `, ${summary.pending} still pending` : ''}. Students who did not check in are marked absent.`
        : 'Students who did not check in are marked absent.'}
    </Alert>
  );
}

/** The teacher's live page: open the session, show the code, watch check-ins arrive, confirm, close. */
export function LiveSession({ sessionId }: { sessionId: string }) {
  const { session, course, records, roster } = useSessionLive(sessionId);
  const items = useMemo(() => recordList(records.data, roster.data), [records.data, roster.data]);
  // Enrolled students with no record yet (the roster follows enrollments live).
  const notYet = useMemo(
    () => (records.data && roster.data ? roster.data.filter((s) => !records.data.byStudent[s.id]) : undefined),
    [records.data, roster.data],
  );
  const open = useOpenSession();
  const update = useOpenSession();
  const confirmOne = useConfirmRecord(sessionId);
  const confirmAll = useConfirmAllRecords(sessionId);
  const [closeOpened, closeModal] = useDisclosure(false);
  const [settingsOpened, settings] = useDisclosure(false);
  const [closedResult, setClosedResult] = useState<CloseResult | null>(null);
  const reopen = useReopenSession();
  useSyncRefresh(sessionId, items);

  if (session.isPending) {
    return (
      <Center py="xl">
        <Loader aria-label="Loading the session" />
      </Center>
    );
  }
  if (session.isError) {
    return (
      <Alert color="red" title="Could not load this session" data-testid="session-error">
        {errorMessage(session.error)}
      </Alert>
    );
  }

  const s = session.data;
  const summary = records.data?.summary;
  const pendingCount = summary?.pending ?? items.filter((r) => r.state === 'pending').length;

  const rollCallLink = (
    <Button
      component={Link}
      to={`/sessions/${encodeURIComponent(sessionId)}/roll-call`}
      variant="default"
      leftSection={<IconListCheck size={18} />}
      data-testid="open-roll-call"
    >
      {s.state === 'closed' ? 'Edit records' : 'Roll call'}
    </Button>
  );

  const actions =
    s.state === 'open' ? (
      <>
        <Button
          component={Link}
          to={`/sessions/${encodeURIComponent(sessionId)}/projector`}
          target="_blank"
          rel="noopener"
          leftSection={<IconDeviceDesktop size={18} />}
          data-testid="open-projector"
        >
          Projector view
        </Button>
        <Tooltip label="Check-in settings">
          <Button
            variant="default"
            leftSection={<IconSettings size={18} />}
            onClick={() => {
              update.reset();
              settings.open();
            }}
            data-testid="open-settings"
          >
            Settings
          </Button>
        </Tooltip>
        <Button color="red" variant="light" leftSection={<IconDoorExit size={18} />} onClick={closeModal.open} data-testid="close-session">
          Close check-in
        </Button>
        {rollCallLink}
      </>
    ) : s.state === 'closed' ? (
      <>
        <Button
          leftSection={<IconPlayerPlay size={18} />}
          loading={reopen.isPending}
          onClick={() =>
            reopen.mutate(sessionId, {
              onSuccess: () => {
                setClosedResult(null);
                notifySuccess('Check-in is open again. Students who check in now replace the absence the close recorded.');
              },
              onError: (err) => notifyError(err),
            })
          }
          data-testid="reopen-session"
        >
          Reopen check-in
        </Button>
        {rollCallLink}
      </>
    ) : null;
  const tooEarly = s.state === 'scheduled' && Date.now() < opensFrom(s.startsAt).getTime();

  return (
    <Stack gap="md" data-testid="live-session-page" data-state={s.state}>
      <SessionHeader session={s} course={course.data} actions={actions} />

      {tooEarly ? (
        <Alert color="blue" title="Not yet" data-testid="opens-later">
          This session starts {formatDateTime(s.startsAt)}. Check-in can be opened from {formatDateTime(opensFrom(s.startsAt).toISOString())},{' '}
          {OPEN_EARLY_MINUTES} minutes before. If the class is earlier, move the session first.
        </Alert>
      ) : s.state === 'scheduled' ? (
        <OpenSessionPanel
          policy={s.policy}
          pending={open.isPending}
          error={open.error}
          onSubmit={(policy) =>
            open.mutate({ sessionId, policy }, { onSuccess: () => notifySuccess('Check-in is open. Show the code or the projector view.') })
          }
        />
      ) : null}

      {s.state === 'cancelled' ? (
        <Alert color="red" title="This session is cancelled">
          {s.cancelledReason ?? 'No reason was given.'}
        </Alert>
      ) : null}

      {s.state === 'closed' ? <ClosedNotice session={s} summary={closedResult?.summary ?? summary} /> : null}

      {s.state === 'open' || s.state === 'closed' ? (
        <Grid gutter="md">
          {s.state === 'open' ? (
            <Grid.Col span={{ base: 12, md: 4, xl: 3 }}>
              <CodeCard sessionId={sessionId} />
            </Grid.Col>
          ) : null}
          <Grid.Col span={{ base: 12, md: s.state === 'open' ? 8 : 12, xl: s.state === 'open' ? 9 : 12 }}>
            <Stack gap="md">
              {summary ? <SummaryBar summary={summary} /> : null}
              <Group justify="space-between" align="center">
                <Title order={2} fz="h4">
                  Check-ins
                </Title>
                {pendingCount > 0 ? (
                  <Button
                    color="teal"
                    leftSection={<IconChecks size={18} />}
                    loading={confirmAll.isPending}
                    onClick={() =>
                      confirmAll.mutate(undefined, {
                        onSuccess: ({ items: done }) => notifySuccess(`Confirmed ${done.length} check-in${done.length === 1 ? '' : 's'}.`),
                      })
                    }
                    data-testid="confirm-all"
                  >
                    Confirm all ({pendingCount})
                  </Button>
                ) : null}
              </Group>
              {records.isError ? (
                <Alert color="red" title="Could not load the check-ins">
                  {errorMessage(records.error)}
                </Alert>
              ) : records.isPending ? (
                <Center py="lg">
                  <Loader aria-label="Loading check-ins" />
                </Center>
              ) : (
                <CheckinList
                  records={items}
                  notYet={notYet}
                  onConfirm={(studentId) => confirmOne.mutate(studentId)}
                  confirming={confirmOne.isPending ? (confirmOne.variables ?? null) : null}
                />
              )}
            </Stack>
          </Grid.Col>
        </Grid>
      ) : null}

      <CloseSessionModal
        sessionId={sessionId}
        opened={closeOpened}
        summary={summary}
        onClose={closeModal.close}
        onClosed={(result, announced) => {
          setClosedResult(result);
          // The same number the dialog announced, not every absence of the session.
          const marked = announced ?? result.summary.absent;
          notifySuccess(
            `Check-in closed: ${marked} ${marked === 1 ? 'student' : 'students'} without a check-in marked absent (${result.summary.absent} absent in all).`,
          );
        }}
      />
      <Modal opened={settingsOpened} onClose={settings.close} title="Check-in settings" size="lg" closeButtonProps={{ 'aria-label': 'Close' }}>
        {settingsOpened ? (
          <PolicyForm
            policy={s.policy}
            submitLabel="Save settings"
            pending={update.isPending}
            error={update.error}
            onCancel={settings.close}
            onSubmit={(policy) =>
              update.mutate(
                { sessionId, policy },
                {
                  onSuccess: () => {
                    notifySuccess('Check-in settings saved.');
                    settings.close();
                  },
                },
              )
            }
          />
        ) : null}
      </Modal>
    </Stack>
  );
}
