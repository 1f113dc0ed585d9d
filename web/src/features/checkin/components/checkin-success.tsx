import type { ReactNode } from 'react';
import { Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconCheck, IconClockHour4, IconHourglass } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { sessionLabel } from '../../../components/session-state-badge.js';
import { formatTime } from '../../../lib/dates.js';
import { myRecordQuery } from '../../../lib/queries/me.js';
import type { CheckinResult } from '../api/check-in.js';

/** The screen after a check-in: what was recorded, for which class, and whether it still needs approval. */
export function CheckinSuccess({ result, children }: { result: CheckinResult; children?: ReactNode }) {
  const { session, alreadyCheckedIn, attendance } = result;
  // The teacher may confirm, mark or change it while this screen is open: MY_ATTENDANCE keeps it current.
  const { data: live } = useQuery(myRecordQuery(result.record.sessionId, result.record));
  const record = live && live.version >= result.record.version ? live : result.record;
  const pending = record.state === 'pending';
  const late = record.status === 'late';
  const look = pending
    ? { color: 'yellow', icon: <IconHourglass size={40} />, title: 'Waiting for approval', text: 'You are checked in. Your teacher confirms check-ins for this session; you will be notified.' }
    : late
      ? { color: 'orange', icon: <IconClockHour4 size={40} />, title: 'Checked in — late', text: 'You are recorded as late for this session.' }
      : { color: 'teal', icon: <IconCheck size={40} />, title: 'You are checked in', text: 'You are recorded as present.' };
  const status =
    record.status === 'present' || record.status === 'late' ? `${record.status}${pending ? ' (pending approval)' : ''}` : record.status;
  return (
    <Paper withBorder p="lg" radius="md" data-testid="checkin-success" data-status={record.status} data-state={record.state} data-already={alreadyCheckedIn ? 'true' : 'false'}>
      <Stack align="center" gap="sm" ta="center">
        <ThemeIcon size={72} radius={72} color={look.color}>
          {look.icon}
        </ThemeIcon>
        <Title order={2} fz="h3" data-testid="checkin-success-title">
          {alreadyCheckedIn ? 'You were already checked in' : look.title}
        </Title>
        {session ? (
          <div>
            <Text fw={700} fz="lg" data-testid="checkin-course">
              {session.courseCode} · {session.courseName}
            </Text>
            <Text c="dimmed">{sessionLabel(session)}</Text>
          </div>
        ) : null}
        <Text>{alreadyCheckedIn ? `Your record stands: ${status}.` : look.text}</Text>
        {attendance ? (
          <Paper withBorder radius="md" px="md" py="xs" data-testid="checkin-attendance" data-percentage={attendance.percentage ?? ''}>
            <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
              Your attendance in this course
            </Text>
            <Text fw={700} fz={28} data-testid="checkin-attendance-percentage">
              {attendance.percentage === null ? '—' : `${attendance.percentage}%`}
            </Text>
            <Text size="xs" c="dimmed">
              {attendance.total === 0
                ? 'Counted once a session has closed; this one counts when it closes.'
                : `${attendance.attended} of ${attendance.total} held sessions attended; this one counts when it closes.`}
            </Text>
          </Paper>
        ) : null}
        {record.checkedInAt ? (
          <Text size="sm" c="dimmed">
            Checked in at {formatTime(record.checkedInAt)}
          </Text>
        ) : null}
        {children}
      </Stack>
    </Paper>
  );
}
