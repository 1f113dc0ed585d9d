import '@mantine/charts/styles.css';
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { Sparkline } from '@mantine/charts';
import { Anchor, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { attendanceColor, formatPercent } from '../../../lib/attendance.js';
import { myCoursesOverviewQuery } from '../../../lib/queries/reports.js';

/** One card per course the teacher teaches: average attendance, a weekly sparkline, students below threshold. */
export function CourseSparklines() {
  const overview = useQuery(myCoursesOverviewQuery());
  const courses = overview.data?.courses ?? [];
  if (courses.length === 0) return null;
  return (
    <Stack gap="xs" data-testid="course-sparklines">
      <Title order={2} fz="h4">
        Your courses
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
        {courses.map((c) => {
          const color = attendanceColor(c.averagePercentage, c.thresholdPercent);
          const points = c.trend.map((t) => t.percentage).filter((p): p is number => p !== null);
          return (
            <Card key={c.id} withBorder padding="sm" data-testid="course-sparkline" data-course-id={c.id} data-average={c.averagePercentage ?? ''}>
              <Group justify="space-between" wrap="nowrap" gap="xs">
                <Stack gap={0} style={{ minWidth: 0 }}>
                  <Anchor component={Link} to={`/courses/${c.id}?tab=report`} fw={700}>
                    {c.code}
                  </Anchor>
                  <Text size="xs" c="dimmed" truncate>
                    {c.name}
                  </Text>
                </Stack>
                <Text fw={700} fz="lg" c={c.averagePercentage === null ? 'dimmed' : color}>
                  {formatPercent(c.averagePercentage)}
                </Text>
              </Group>
              {points.length > 1 ? (
                <Sparkline h={40} mt={6} data={points} color={color} curveType="linear" fillOpacity={0.2} aria-label={`${c.code} attendance per week`} />
              ) : null}
              <Text size="xs" c={c.belowThreshold > 0 ? 'red' : 'dimmed'} mt={4}>
                {c.heldSessions} held · {c.belowThreshold} below {c.thresholdPercent}%
              </Text>
            </Card>
          );
        })}
      </SimpleGrid>
    </Stack>
  );
}
