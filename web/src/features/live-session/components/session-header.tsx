import type { ReactNode } from 'react';
import { Group, Stack, Text, Title } from '@mantine/core';
import type { Course } from '../../../../../common/course.schemas.js';
import type { Session } from '../../../../../common/session.schemas.js';
import { SessionStateBadge, sessionLabel } from '../../../components/session-state-badge.js';
import { formatDateTimeRange } from '../../../lib/dates.js';

/** When a session runs: "Tue 25 Nov, 09:00–10:30". */
export function sessionTime(session: Pick<Session, 'startsAt' | 'endsAt'>): string {
  return formatDateTimeRange(session.startsAt, session.endsAt);
}

/** Course, lecture number, state, time and venue; `actions` sit on the right. */
export function SessionHeader({ session, course, actions }: { session: Session; course: Course | undefined; actions?: ReactNode }) {
  return (
    <Group justify="space-between" align="flex-start" gap="sm" data-testid="session-header">
      <Stack gap={4} style={{ minWidth: 0 }}>
        <Text c="dimmed" fw={600} size="sm" data-testid="session-course">
          {course ? `${course.code} · ${course.name}` : '\u00a0'}
        </Text>
        <Group gap="sm" align="center">
          <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
            {sessionLabel(session)}
          </Title>
          <SessionStateBadge state={session.state} />
        </Group>
        <Text size="sm" c="dimmed">
          {sessionTime(session)}
          {session.venue ? ` · ${session.venue}` : ''}
        </Text>
      </Stack>
      {actions ? (
        <Group gap="xs" wrap="wrap">
          {actions}
        </Group>
      ) : null}
    </Group>
  );
}
