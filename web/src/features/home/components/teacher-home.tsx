import { Link } from 'react-router';
import { Box, Button, Group } from '@mantine/core';
import { IconBook, IconCalendar } from '@tabler/icons-react';
import { SessionsOverview } from './sessions-overview.js';
import { Welcome } from './welcome.js';

export function TeacherHome({ name }: { name: string }) {
  return (
    <>
      <Welcome name={name} testId="teacher-home">
        Today's sessions of your courses. Run one to show the check-in code and watch attendance arrive live.
      </Welcome>
      <Group mt="md" gap="xs">
        <Button component={Link} to="/courses" leftSection={<IconBook size={18} />}>
          My courses
        </Button>
        <Button component={Link} to="/calendar" variant="default" leftSection={<IconCalendar size={18} />}>
          Calendar
        </Button>
      </Group>
      <Box mt="lg" maw={760}>
        <SessionsOverview staff upcomingDays={1} />
      </Box>
    </>
  );
}
