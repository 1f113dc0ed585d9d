import { Link } from 'react-router';
import { Anchor, Badge, Card, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { attendanceColor, formatPercent } from '../../../lib/attendance.js';
import { useMyAttendanceSummary } from '../api/get-my-attendance.js';

/** One line per course with the student's percentage; the details are on /attendance. */
export function AttendanceOverview() {
  const attendance = useMyAttendanceSummary();
  // The home page is about today: a failed or empty summary just stays out of the way.
  if (attendance.isError || (attendance.isSuccess && attendance.data.length === 0)) return null;
  return (
    <Stack gap="xs" data-testid="home-attendance">
      <Group justify="space-between" align="baseline">
        <Title order={2} fz="h4">
          Attendance
        </Title>
        <Anchor component={Link} to="/attendance" size="sm">
          Details
        </Anchor>
      </Group>
      {attendance.isPending ? (
        <Loader size="sm" aria-label="Loading your attendance" />
      ) : (
        <Card withBorder padding={0}>
          {attendance.data.map((item, i) => (
            <Group
              key={item.course.id}
              justify="space-between"
              wrap="nowrap"
              gap="xs"
              px="sm"
              py={8}
              style={i > 0 ? { borderTop: '1px solid var(--mantine-color-default-border)' } : undefined}
              data-testid="home-attendance-line"
              data-course-code={item.course.code}
            >
              <Text size="sm" truncate style={{ minWidth: 0 }}>
                <b>{item.course.code}</b> · {item.course.name}
              </Text>
              <Badge
                variant={item.belowThreshold ? 'filled' : 'light'}
                color={attendanceColor(item.percentage, item.course.thresholdPercent)}
                style={{ flex: 'none' }}
                title={item.belowThreshold ? `Below the ${item.course.thresholdPercent}% threshold` : undefined}
              >
                {item.percentage === null ? 'not held yet' : formatPercent(item.percentage)}
              </Badge>
            </Group>
          ))}
        </Card>
      )}
    </Stack>
  );
}
