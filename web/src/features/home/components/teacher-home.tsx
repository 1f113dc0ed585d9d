import { lazy, Suspense } from 'react';
import { Link } from 'react-router';
import { Button, Group, Stack } from '@mantine/core';
import { IconBook, IconCalendar } from '@tabler/icons-react';
import { AtRiskList } from './at-risk-list.js';
import { SessionsOverview } from './sessions-overview.js';
import { Welcome } from './welcome.js';

// Sparklines pull in the chart library: load it after the rest of the page.
const CourseSparklines = lazy(async () => ({ default: (await import('./course-sparklines.js')).CourseSparklines }));

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
      <Stack mt="lg" maw={760} gap="lg">
        <SessionsOverview staff upcomingDays={1} />
        <AtRiskList />
        <Suspense fallback={null}>
          <CourseSparklines />
        </Suspense>
      </Stack>
    </>
  );
}
