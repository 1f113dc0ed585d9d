import { Center, Loader, Stack, Text, Title } from '@mantine/core';
import type { MySession } from '../../../../../common/calendar.schemas.js';
import { MySessionCard } from '../../../components/my-session-card.js';
import { QueryError } from '../../../components/query-error.js';
import { dayjs } from '../../../lib/dates.js';
import { useUpcomingSessions } from '../api/get-my-sessions.js';

function Section({ title, testId, sessions, staff, showDate, empty }: { title: string; testId: string; sessions: MySession[]; staff: boolean; showDate: boolean; empty: string }) {
  return (
    <Stack gap="xs" data-testid={testId}>
      <Title order={2} fz="h4">
        {title}
      </Title>
      {sessions.length === 0 ? (
        <Text size="sm" c="dimmed">
          {empty}
        </Text>
      ) : (
        sessions.map((s) => <MySessionCard key={s.id} session={s} staff={staff} showDate={showDate} />)
      )}
    </Stack>
  );
}

/** Today's sessions and (optionally) the next ones, for the home pages. */
export function SessionsOverview({ staff, upcomingDays, upcomingMax = 8 }: { staff: boolean; upcomingDays: number; upcomingMax?: number }) {
  const sessions = useUpcomingSessions(Math.max(upcomingDays, 1));
  if (sessions.isPending) {
    return (
      <Center py="lg">
        <Loader aria-label="Loading your sessions" />
      </Center>
    );
  }
  if (sessions.isError) {
    return <QueryError title="Could not load your sessions" error={sessions.error} onRetry={() => void sessions.refetch()} testId="home-sessions-error" />;
  }
  const now = dayjs();
  const startOfToday = now.startOf('day');
  const endOfToday = now.endOf('day');
  // Today's, and yesterday's still running (a class past midnight) or still open.
  const today = sessions.data.filter(
    (s) => !dayjs(s.startsAt).isAfter(endOfToday) && (!dayjs(s.startsAt).isBefore(startOfToday) || s.state === 'open' || dayjs(s.endsAt).isAfter(now)),
  );
  const later = sessions.data.filter((s) => dayjs(s.startsAt).isAfter(endOfToday)).slice(0, upcomingMax);
  return (
    <Stack gap="lg">
      <Section
        title="Today"
        testId="home-today"
        sessions={today}
        staff={staff}
        showDate={false}
        empty={staff ? 'You teach no sessions today.' : 'No classes today.'}
      />
      {upcomingDays > 1 ? (
        <Section
          title="Coming up"
          testId="home-upcoming"
          sessions={later}
          staff={staff}
          showDate
          empty={`Nothing in the next ${upcomingDays} days.`}
        />
      ) : null}
    </Stack>
  );
}
