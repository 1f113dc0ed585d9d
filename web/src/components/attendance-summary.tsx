import { Group, Paper, Progress, Stack, Text, Tooltip } from '@mantine/core';
import type { ReactNode } from 'react';
import type { Summary } from '../../../common/attendance.schemas.js';
import { STATUS_COLOR } from '../lib/colors.js';

const PARTS = [
  { key: 'present', label: 'Present' },
  { key: 'late', label: 'Late' },
  { key: 'pending', label: 'Pending' },
  { key: 'excused', label: 'Excused' },
  { key: 'absent', label: 'Absent' },
  { key: 'unmarked', label: 'Unmarked' },
] as const;

/** Checked in so far: present, late and those awaiting approval. */
export function checkedInCount(summary: Summary): number {
  return summary.present + summary.late + summary.pending;
}

/**
 * A session's live counts out of its enrolled students: one stacked bar and the numbers. The live
 * page and the roll call show the same summary under their own headline and test ids.
 */
export function AttendanceSummary({
  summary,
  headline,
  testId,
  unmarkedLabel = 'Unmarked',
}: {
  summary: Summary;
  headline: ReactNode;
  /** Prefix of the data-testid of the box and of each count (`<testId>-present`, …). */
  testId: string;
  unmarkedLabel?: string;
}) {
  const total = Math.max(summary.enrolled, 1);
  return (
    <Paper withBorder p="sm" radius="md" data-testid={testId}>
      <Stack gap="xs">
        <Text fw={600}>{headline}</Text>
        <Progress.Root size="lg">
          {PARTS.map((part) =>
            part.key !== 'unmarked' && summary[part.key] > 0 ? (
              <Tooltip key={part.key} label={`${part.label}: ${summary[part.key]}`}>
                <Progress.Section
                  value={(summary[part.key] / total) * 100}
                  color={STATUS_COLOR[part.key]}
                  aria-label={`${part.label}: ${summary[part.key]} of ${summary.enrolled}`}
                />
              </Tooltip>
            ) : null,
          )}
        </Progress.Root>
        <Group gap="md" wrap="wrap" aria-live="polite">
          {PARTS.map((part) => (
            <Text key={part.key} size="sm" data-testid={`${testId}-${part.key}`} data-count={summary[part.key]}>
              <Text span c={part.key === 'unmarked' ? 'dimmed' : STATUS_COLOR[part.key]} fw={700}>
                {summary[part.key]}
              </Text>{' '}
              {(part.key === 'unmarked' ? unmarkedLabel : part.label).toLowerCase()}
            </Text>
          ))}
        </Group>
      </Stack>
    </Paper>
  );
}
