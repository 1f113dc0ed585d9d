import { useCallback } from 'react';
import { Link } from 'react-router';
import { Badge, Button, Card, Center, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Absence } from '../../../../../common/absence.schemas.js';
import type { MyAttendance } from '../../../../../common/report.schemas.js';
import { QueryError } from '../../../components/query-error.js';
import { api } from '../../../lib/api-client.js';
import { formatDateTime } from '../../../lib/dates.js';
import { errorMessage, notifyError } from '../../../lib/notify.js';
import { useTopic } from '../../../lib/realtime.js';
import { absencesQueryKey, useAbsences, useWithdrawAbsence } from '../api/absences.js';
import { AbsenceStateBadge, CATEGORY_LABEL } from './absence-state-badge.js';

/** The student's records by session id (the same query the attendance page uses). */
function useMyRecordStatus() {
  return useQuery({
    queryKey: ['me', 'attendance'],
    queryFn: ({ signal }) => api<MyAttendance>('/api/me/attendance', { signal }),
    select: (d) => new Map(d.items.flatMap((i) => i.records.map((r) => [r.sessionId, r.status] as const))),
  });
}

function RequestCard({ absence, statuses }: { absence: Absence; statuses: Map<string, string> | undefined }) {
  const withdraw = useWithdrawAbsence();
  const excused = absence.sessionIds.filter((id) => statuses?.get(id) === 'excused').length;
  return (
    <Card withBorder padding="md" data-testid="my-absence" data-absence-id={absence.id} data-state={absence.state}>
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap">
          <Text fw={700}>{absence.course.code}</Text>
          <AbsenceStateBadge state={absence.state} />
        </Group>
        <Text size="sm">
          {CATEGORY_LABEL[absence.category]} · {absence.sessionIds.length} session{absence.sessionIds.length === 1 ? '' : 's'}
          {absence.from ? ` · ${absence.from} – ${absence.to}` : ''}
        </Text>
        <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
          {absence.reason}
        </Text>
        {absence.attachments.length > 0 ? (
          <Text size="xs" c="dimmed">
            {absence.attachments.length} file{absence.attachments.length === 1 ? '' : 's'} attached
          </Text>
        ) : null}
        {absence.response ? (
          <Text size="sm" data-testid="absence-response">
            Response: {absence.response}
          </Text>
        ) : null}
        <Group gap="xs">
          <Badge variant="outline" color={excused > 0 ? 'grape' : 'gray'} data-testid="absence-excused-count" data-count={excused}>
            {excused} of {absence.sessionIds.length} excused
          </Badge>
          <Text size="xs" c="dimmed">
            sent {formatDateTime(absence.createdAt)}
          </Text>
        </Group>
        {absence.state === 'pending' ? (
          <Button
            variant="subtle"
            color="red"
            size="compact-sm"
            style={{ alignSelf: 'flex-start' }}
            loading={withdraw.isPending}
            onClick={() => withdraw.mutate(absence.id, { onError: (e) => notifyError(e, 'Could not withdraw') })}
            data-testid="absence-withdraw"
          >
            Withdraw
          </Button>
        ) : null}
      </Stack>
    </Card>
  );
}

/** `/absences` for a student: their requests with state and response, live. */
export function MyAbsences({ userId }: { userId: string }) {
  const queryClient = useQueryClient();
  const absences = useAbsences();
  const statuses = useMyRecordStatus();
  // A decision (NOTIFICATION) and the records it excuses (MY_ATTENDANCE) arrive on the user's topic.
  const onEvent = useCallback(
    (event: string) => {
      if (event === 'NOTIFICATION') void queryClient.invalidateQueries({ queryKey: absencesQueryKey });
      if (event === 'MY_ATTENDANCE' || event === 'NOTIFICATION') void queryClient.invalidateQueries({ queryKey: ['me', 'attendance'] });
    },
    [queryClient],
  );
  useTopic(`user:${userId}`, onEvent, {
    onSubscribed: () => {
      void queryClient.invalidateQueries({ queryKey: absencesQueryKey });
      void queryClient.invalidateQueries({ queryKey: ['me', 'attendance'] });
    },
  });
  return (
    <Stack gap="md" maw={640} data-testid="my-absences">
      <Group justify="space-between">
        <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
          Absences
        </Title>
        <Button component={Link} to="/absences/new" data-testid="absence-new">
          Request an absence
        </Button>
      </Group>
      {absences.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading your requests" />
        </Center>
      ) : absences.isError ? (
        <QueryError title="Could not load your requests" error={absences.error} onRetry={() => void absences.refetch()} testId="absences-error" />
      ) : absences.data.length === 0 ? (
        <Text c="dimmed" ta="center" py="xl">
          No requests yet. Ill or away? Request an absence and attach a note.
        </Text>
      ) : (
        absences.data.map((a) => <RequestCard key={a.id} absence={a} statuses={statuses.data} />)
      )}
      {statuses.isError ? <Text size="xs" c="red">{errorMessage(statuses.error)}</Text> : null}
    </Stack>
  );
}
