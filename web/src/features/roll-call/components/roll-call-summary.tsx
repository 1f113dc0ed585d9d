import { Group, Paper, Progress, Stack, Text, Tooltip } from '@mantine/core';
import type { Summary } from '../../../../../common/attendance.schemas.js';

const PARTS = [
  { key: 'present', label: 'Present', color: 'teal' },
  { key: 'late', label: 'Late', color: 'yellow' },
  { key: 'absent', label: 'Absent', color: 'red' },
  { key: 'excused', label: 'Excused', color: 'grape' },
  { key: 'pending', label: 'Pending', color: 'indigo' },
  { key: 'unmarked', label: 'Unmarked', color: 'gray' },
] as const;

/** The session's counts out of the enrolled students, as the server last reported them (live). */
export function RollCallSummary({ summary }: { summary: Summary }) {
  const total = Math.max(summary.enrolled, 1);
  const marked = summary.enrolled - summary.unmarked;
  return (
    <Paper withBorder p="sm" radius="md" data-testid="rc-summary">
      <Stack gap={6}>
        <Text fw={600} size="sm">
          <span data-testid="rc-summary-marked">{marked}</span> of{' '}
          <span data-testid="rc-summary-enrolled" data-count={summary.enrolled}>
            {summary.enrolled}
          </span>{' '}
          enrolled marked
        </Text>
        <Progress.Root size="md" aria-label="Marked so far">
          {PARTS.map((part) =>
            part.key !== 'unmarked' && summary[part.key] > 0 ? (
              <Tooltip key={part.key} label={`${part.label}: ${summary[part.key]}`}>
                <Progress.Section value={(summary[part.key] / total) * 100} color={part.color} />
              </Tooltip>
            ) : null,
          )}
        </Progress.Root>
        <Group gap="md" wrap="wrap" aria-live="polite">
          {PARTS.map((part) => (
            <Text key={part.key} size="sm" data-testid={`rc-summary-${part.key}`} data-count={summary[part.key]}>
              <Text span c={part.color === 'gray' ? 'dimmed' : `${part.color}.8`} fw={700}>
                {summary[part.key]}
              </Text>{' '}
              {part.label.toLowerCase()}
            </Text>
          ))}
        </Group>
      </Stack>
    </Paper>
  );
}
