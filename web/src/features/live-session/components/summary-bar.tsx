import { Group, Paper, Progress, Stack, Text, Tooltip } from '@mantine/core';
import type { Summary } from '../../../../../common/attendance.schemas.js';

const PARTS = [
  { key: 'present', label: 'Present', color: 'teal' },
  { key: 'late', label: 'Late', color: 'yellow' },
  { key: 'pending', label: 'Pending', color: 'indigo' },
  { key: 'excused', label: 'Excused', color: 'grape' },
  { key: 'absent', label: 'Absent', color: 'red' },
  { key: 'unmarked', label: 'Not yet', color: 'gray' },
] as const;

/** Checked in so far: present, late and those awaiting approval. */
export function checkedInCount(summary: Summary): number {
  return summary.present + summary.late + summary.pending;
}

/** The live counts as one bar plus numbers, out of the enrolled students. */
export function SummaryBar({ summary }: { summary: Summary }) {
  const total = Math.max(summary.enrolled, 1);
  return (
    <Paper withBorder p="sm" radius="md" data-testid="summary-bar">
      <Stack gap="xs">
        <Group justify="space-between" align="baseline">
          <Text fw={600}>
            <span data-testid="summary-checked-in">{checkedInCount(summary)}</span> / <span data-testid="summary-enrolled">{summary.enrolled}</span>{' '}
            checked in
          </Text>
        </Group>
        <Progress.Root size="lg" aria-label="Attendance so far">
          {PARTS.map((part) =>
            summary[part.key] > 0 ? (
              <Tooltip key={part.key} label={`${part.label}: ${summary[part.key]}`}>
                <Progress.Section value={(summary[part.key] / total) * 100} color={part.color} />
              </Tooltip>
            ) : null,
          )}
        </Progress.Root>
        <Group gap="md" wrap="wrap">
          {PARTS.map((part) => (
            <Text key={part.key} size="sm" data-testid={`summary-${part.key}`} data-count={summary[part.key]}>
              <Text span c={part.color === 'gray' ? 'dimmed' : part.color} fw={700}>
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
