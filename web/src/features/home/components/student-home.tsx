import { Link } from 'react-router';
import { Button, Group, Stack } from '@mantine/core';
import { IconCalendar, IconLogin2 } from '@tabler/icons-react';
import { AttendanceOverview } from './attendance-overview.js';
import { SessionsOverview } from './sessions-overview.js';
import { Welcome } from './welcome.js';

export function StudentHome({ name }: { name: string }) {
  return (
    <>
      <Welcome name={name} testId="student-home">
        Your classes for today and the next two weeks, with your attendance as it is recorded.
      </Welcome>
      <Group mt="md" gap="xs">
        <Button component={Link} to="/checkin" leftSection={<IconLogin2 size={18} />} data-testid="home-checkin">
          Check in
        </Button>
        <Button component={Link} to="/calendar" variant="default" leftSection={<IconCalendar size={18} />}>
          Calendar
        </Button>
      </Group>
      <Stack mt="lg" maw={760} gap="lg">
        <SessionsOverview staff={false} upcomingDays={14} />
        <AttendanceOverview />
      </Stack>
    </>
  );
}
