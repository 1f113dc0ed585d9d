import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { Anchor, Badge, Card, Center, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { WARNING_KIND_LABEL, type Warning } from '../../../../../common/warning.schemas.js';
import { QueryError } from '../../../components/query-error.js';
import { openWarningsQuery } from '../../../lib/queries/reports.js';

const KIND_COLOR: Record<Warning['kind'], string> = { below_threshold: 'red', consecutive_absences: 'orange', cannot_reach_threshold: 'grape' };

/** Students of the teacher's courses with open warnings, each warning saying why. */
export function AtRiskList() {
  const warnings = useQuery({ ...openWarningsQuery(), meta: { inlineErrors: true } });
  const byStudent = new Map<string, { student: Warning['student']; course: Warning['course']; items: Warning[] }>();
  for (const w of warnings.data?.items ?? []) {
    const key = `${w.courseId}:${w.studentId}`;
    let entry = byStudent.get(key);
    if (!entry) byStudent.set(key, (entry = { student: w.student, course: w.course, items: [] }));
    entry.items.push(w);
  }
  return (
    <Stack gap="xs" data-testid="at-risk">
      <Group gap="xs">
        <IconAlertTriangle size={20} color="var(--mantine-color-red-6)" />
        <Title order={2} fz="h4">
          Students at risk
        </Title>
      </Group>
      {warnings.isPending ? (
        <Center py="md">
          <Loader size="sm" aria-label="Loading warnings" />
        </Center>
      ) : warnings.isError ? (
        <QueryError title="Could not load the warnings" error={warnings.error} onRetry={() => void warnings.refetch()} testId="at-risk-error" />
      ) : byStudent.size === 0 ? (
        <Text c="dimmed" size="sm" data-testid="at-risk-empty">
          No open warnings: every student is on track.
        </Text>
      ) : (
        [...byStudent.values()].map((e) => (
          <Card key={`${e.course.id}:${e.student.id}`} withBorder padding="sm" data-testid="at-risk-student" data-student-id={e.student.id}>
            <Group justify="space-between" gap="xs" wrap="nowrap">
              <Text fw={600} style={{ overflowWrap: 'anywhere' }}>
                {e.student.name}
                {e.student.studentNumber ? (
                  <Text span c="dimmed" size="sm">
                    {' '}
                    · {e.student.studentNumber}
                  </Text>
                ) : null}
              </Text>
              <Anchor component={Link} to={`/courses/${e.course.id}?tab=report`} size="sm">
                {e.course.code}
              </Anchor>
            </Group>
            <Stack gap={4} mt={6}>
              {e.items.map((w) => (
                <Group key={w.id} gap="xs" wrap="nowrap" align="flex-start" data-testid="at-risk-warning" data-kind={w.kind}>
                  <Badge color={KIND_COLOR[w.kind]} variant="light" size="sm" style={{ flex: 'none' }}>
                    {WARNING_KIND_LABEL[w.kind]}
                  </Badge>
                  <Text size="sm">{w.detail}</Text>
                </Group>
              ))}
            </Stack>
          </Card>
        ))
      )}
    </Stack>
  );
}
