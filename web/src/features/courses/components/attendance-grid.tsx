import { useQuery } from '@tanstack/react-query';
import { Box, Card, Center, Group, Loader, ScrollArea, Text } from '@mantine/core';
import type { CourseGrid } from '../../../../../common/report.schemas.js';
import { QueryError } from '../../../components/query-error.js';
import { attendanceColor, formatPercent } from '../../../lib/attendance.js';
import { statusFill } from '../../../lib/colors.js';
import { formatDate } from '../../../lib/dates.js';
import { courseGridQuery } from '../../../lib/queries/reports.js';

type Cell = CourseGrid['students'][number]['cells'][number];

// The letter on each square carries the status, so its colours only have to keep the letter readable.
const CELL: Record<NonNullable<Cell> | 'none', { fill: { background: string; color: string }; label: string; letter: string }> = {
  present: { fill: statusFill('present'), label: 'present', letter: 'P' },
  late: { fill: statusFill('late'), label: 'late', letter: 'L' },
  absent: { fill: statusFill('absent'), label: 'absent', letter: 'A' },
  excused: { fill: statusFill('excused'), label: 'excused', letter: 'E' },
  none: { fill: { background: 'var(--mantine-color-default-border)', color: 'inherit' }, label: 'no record (not enrolled yet)', letter: '' },
};

const SIZE = 18;

/** The students × held sessions heat-map: one coloured square per record, a row per student. */
export function AttendanceGrid({ courseId }: { courseId: string }) {
  const grid = useQuery({ ...courseGridQuery(courseId), meta: { inlineErrors: true } });
  if (grid.isPending) {
    return (
      <Center py="md">
        <Loader size="sm" aria-label="Loading the grid" />
      </Center>
    );
  }
  if (grid.isError) return <QueryError title="Could not load the grid" error={grid.error} onRetry={() => void grid.refetch()} testId="grid-error" />;
  const g = grid.data;
  if (g.sessions.length === 0 || g.students.length === 0) return null;
  const threshold = g.course.thresholdPercent;
  return (
    <Card withBorder padding="sm" data-testid="attendance-grid">
      <Group justify="space-between" mb="xs" gap="xs">
        <Text size="sm" fw={600}>
          Students × sessions
        </Text>
        <Group gap="sm">
          {(['present', 'late', 'absent', 'excused'] as const).map((k) => (
            <Group key={k} gap={4}>
              <Box w={12} h={12} style={{ background: CELL[k].fill.background, borderRadius: 2 }} />
              <Text size="xs">{CELL[k].label}</Text>
            </Group>
          ))}
        </Group>
      </Group>
      <ScrollArea type="auto" offsetScrollbars>
        <table style={{ borderCollapse: 'separate', borderSpacing: 2, fontSize: 12 }} aria-label="Attendance per student and session">
          <thead>
            <tr>
              <th style={{ textAlign: 'left', position: 'sticky', left: 0, background: 'var(--mantine-color-body)' }}>Student</th>
              {g.sessions.map((s) => (
                <th key={s.id} title={`${formatDate(s.startsAt)}${s.title ? ` · ${s.title}` : ''} · ${formatPercent(s.percentage)}`} style={{ width: SIZE, fontWeight: 500 }}>
                  {s.number}
                </th>
              ))}
              <th style={{ textAlign: 'right', paddingLeft: 8 }}>%</th>
            </tr>
          </thead>
          <tbody>
            {g.students.map((row) => (
              <tr key={row.student.id} data-testid="grid-row" data-student-id={row.student.id} data-below={row.belowThreshold}>
                <td
                  style={{ whiteSpace: 'nowrap', paddingRight: 8, position: 'sticky', left: 0, background: 'var(--mantine-color-body)', maxWidth: 180, overflow: 'hidden', textOverflow: 'ellipsis' }}
                >
                  {row.student.name}
                </td>
                {row.cells.map((cell, j) => {
                  const look = CELL[cell ?? 'none'];
                  return (
                    <td
                      key={g.sessions[j].id}
                      data-testid="grid-cell"
                      data-status={cell ?? ''}
                      title={`${row.student.name} · #${g.sessions[j].number} ${formatDate(g.sessions[j].startsAt)}: ${look.label}`}
                      style={{ width: SIZE, height: SIZE, ...look.fill, borderRadius: 3, textAlign: 'center', fontSize: 10, fontWeight: 700 }}
                    >
                      {look.letter}
                    </td>
                  );
                })}
                <td style={{ textAlign: 'right', paddingLeft: 8, fontWeight: 700, color: `var(--mantine-color-${attendanceColor(row.percentage, threshold)}-text)` }}>
                  {formatPercent(row.percentage)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollArea>
    </Card>
  );
}
