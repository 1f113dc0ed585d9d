import { Link } from 'react-router';
import { Anchor, Button, Card, Group, Stack, Text } from '@mantine/core';
import { IconLogin2, IconPlayerPlay } from '@tabler/icons-react';
import type { MySession } from '../../../common/calendar.schemas.js';
import { opensFrom } from '../../../common/session.schemas.js';
import { formatDate, formatTimeRange } from '../lib/dates.js';
import { RecordStatusBadge } from './record-status-badge.js';
import { SessionStateBadge, sessionLabel } from './session-state-badge.js';

/**
 * One of "my" sessions (calendar, home): course, lecture, time, venue, state; for a student their
 * attendance and a way to check in while it is open; for staff the course and the live page.
 */
export function MySessionCard({ session, staff, showDate = false }: { session: MySession; staff: boolean; showDate?: boolean }) {
  const { course } = session;
  const live = session.state === 'open';
  return (
    <Card withBorder padding="sm" data-testid="my-session" data-session-id={session.id} data-state={session.state}>
      <Group justify="space-between" wrap="nowrap" align="flex-start" gap="xs">
        <Stack gap={2} style={{ minWidth: 0 }}>
          <Text fw={600} size="sm" style={{ overflowWrap: 'anywhere' }}>
            {staff ? (
              <Anchor component={Link} to={`/courses/${course.id}`} inherit>
                {course.code}
              </Anchor>
            ) : (
              course.code
            )}{' '}
            · {course.name}
          </Text>
          <Text size="sm">
            {sessionLabel(session)} · {showDate ? `${formatDate(session.startsAt)}, ` : ''}
            {formatTimeRange(session.startsAt, session.endsAt)}
          </Text>
          {session.venue ? (
            <Text size="xs" c="dimmed">
              {session.venue}
            </Text>
          ) : null}
          {session.state === 'cancelled' && session.cancelledReason ? (
            <Text size="xs" c="red">
              Cancelled: {session.cancelledReason}
            </Text>
          ) : null}
          <Group gap={6} mt={2}>
            <SessionStateBadge state={session.state} />
            {session.record ? <RecordStatusBadge record={session.record} /> : null}
          </Group>
        </Stack>
        {/* The check-in pages belong to the check-in feature: students check in at /checkin, staff run /sessions/:id/live. */}
        {staff && (live || (session.state === 'scheduled' && Date.now() >= opensFrom(session.startsAt).getTime())) ? (
          <Button
            component={Link}
            to={`/sessions/${session.id}/live`}
            size="xs"
            variant={live ? 'filled' : 'light'}
            leftSection={<IconPlayerPlay size={14} />}
            style={{ flex: 'none' }}
            data-testid="my-session-live"
          >
            {live ? 'Live' : 'Run'}
          </Button>
        ) : null}
        {!staff && live && !session.record ? (
          <Button component={Link} to="/checkin" size="xs" leftSection={<IconLogin2 size={14} />} style={{ flex: 'none' }} data-testid="my-session-checkin">
            Check in
          </Button>
        ) : null}
      </Group>
    </Card>
  );
}
