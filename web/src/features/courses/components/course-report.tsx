import { lazy, Suspense, useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Anchor, Card, Center, Group, Loader, SimpleGrid, Stack, Switch, Table, Text, UnstyledButton } from '@mantine/core';
import { IconChevronDown, IconChevronUp, IconSelector } from '@tabler/icons-react';
import type { CourseReport as Report } from '../../../../../common/report.schemas.js';
import { DownloadButton } from '../../../components/download-button.js';
import { QueryError } from '../../../components/query-error.js';
import { StatCard } from '../../../components/stat-card.js';
import { attendanceColor, formatPercent } from '../../../lib/attendance.js';
import { recordsCsvHref, reportCsvHref, useCourseReport, type ReportItem } from '../api/report.js';
import { courseGridQuery, reportPdfHref, reportXlsxHref } from '../../../lib/queries/reports.js';
import { courseAbsencesQuery } from '../../../lib/queries/absences.js';
import { AttendanceGrid } from './attendance-grid.js';
import type { ReportBucket } from './report-chart.js';

// The chart library is large and only this tab needs it.
const ReportChart = lazy(async () => ({ default: (await import('./report-chart.js')).ReportChart }));
const SessionTrendChart = lazy(async () => ({ default: (await import('./session-trend-chart.js')).SessionTrendChart }));

/** Attendance per held session, oldest first (the line chart over the term). */
function SessionTrend({ courseId, threshold }: { courseId: string; threshold: number }) {
  const grid = useQuery(courseGridQuery(courseId));
  if (!grid.data || grid.data.sessions.length < 2) return null;
  const data = grid.data.sessions.map((s) => ({ session: `#${s.number}`, attendance: s.percentage }));
  return (
    <Card withBorder padding="sm" data-testid="session-trend">
      <Text size="sm" fw={600} mb="xs">
        Attendance per session
      </Text>
      <Suspense fallback={<Center h={200}><Loader size="sm" aria-label="Loading the chart" /></Center>}>
        <SessionTrendChart data={data} threshold={threshold} />
      </Suspense>
    </Card>
  );
}

type SortKey = 'name' | 'number' | 'present' | 'late' | 'absent' | 'excused' | 'percentage';
interface Sort {
  key: SortKey;
  desc: boolean;
}

const COLUMNS: { key: SortKey; label: string; short: string; numeric: boolean; wide?: boolean }[] = [
  { key: 'name', label: 'Student', short: 'Student', numeric: false },
  { key: 'number', label: 'Number', short: 'No.', numeric: false, wide: true },
  { key: 'present', label: 'Present', short: 'P', numeric: true },
  { key: 'late', label: 'Late', short: 'L', numeric: true },
  { key: 'absent', label: 'Absent', short: 'A', numeric: true },
  { key: 'excused', label: 'Excused', short: 'E', numeric: true },
  { key: 'percentage', label: 'Attendance', short: '%', numeric: true },
];

// Lower bounds included, so 75.0 is in 75–90; 100 sits in the last band.
const BANDS = [
  { label: '0–50%', min: 0, max: 50 },
  { label: '50–75%', min: 50, max: 75 },
  { label: '75–90%', min: 75, max: 90 },
  { label: '90–100%', min: 90, max: 100.1 },
];

/** Students per band, each band red when wholly below the threshold, green when wholly above, orange astride it. */
function distribution(report: Report): ReportBucket[] {
  const threshold = report.course.thresholdPercent;
  return BANDS.map((b) => ({
    bucket: b.label,
    students: report.items.filter((i) => i.percentage !== null && i.percentage >= b.min && i.percentage < b.max).length,
    color: b.max <= threshold ? 'red' : b.min >= threshold ? 'teal' : 'orange',
  }));
}

function compare(a: ReportItem, b: ReportItem, key: SortKey): number {
  switch (key) {
    case 'name':
      return a.student.name.localeCompare(b.student.name);
    case 'number':
      return (a.student.studentNumber ?? '').localeCompare(b.student.studentNumber ?? '', undefined, { numeric: true });
    case 'percentage':
      return (a.percentage ?? 0) - (b.percentage ?? 0);
    default:
      return a[key] - b[key];
  }
}

function sortItems(items: ReportItem[], sort: Sort): ReportItem[] {
  return [...items].sort((a, b) => {
    // Students with no figure yet stay at the bottom whichever way the column runs.
    if (sort.key === 'percentage' && (a.percentage === null) !== (b.percentage === null)) return a.percentage === null ? 1 : -1;
    const c = compare(a, b, sort.key);
    return (sort.desc ? -c : c) || a.student.name.localeCompare(b.student.name);
  });
}

function SortHeader({ column, sort, onSort }: { column: (typeof COLUMNS)[number]; sort: Sort; onSort: (key: SortKey) => void }) {
  const active = sort.key === column.key;
  const Icon = active ? (sort.desc ? IconChevronDown : IconChevronUp) : IconSelector;
  return (
    <Table.Th
      visibleFrom={column.wide ? 'sm' : undefined}
      aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}
      ta={column.numeric ? 'right' : undefined}
      px={column.numeric ? 4 : undefined}
    >
      <UnstyledButton
        onClick={() => onSort(column.key)}
        aria-label={`Sort by ${column.label.toLowerCase()}`}
        data-testid={`report-sort-${column.key}`}
        style={{ display: 'inline-flex', alignItems: 'center', gap: 2, fontWeight: 600, fontSize: 'inherit' }}
      >
        <Text span inherit visibleFrom="sm">
          {column.label}
        </Text>
        <Text span inherit hiddenFrom="sm" title={column.label}>
          {column.short}
        </Text>
        <Icon size={14} stroke={1.5} />
      </UnstyledButton>
    </Table.Th>
  );
}

/** The course's attendance report for its staff: summary, distribution, a sortable table and the CSV exports. */
/** A student's absence requests in this course, as a short line linking to the review queue. */
function StudentRequests({ requests }: { requests: { state: string }[] | undefined }) {
  if (!requests || requests.length === 0) return null;
  const pending = requests.filter((r) => r.state === 'pending').length;
  const approved = requests.filter((r) => r.state === 'approved').length;
  const parts = [pending ? `${pending} pending` : null, approved ? `${approved} approved` : null].filter(Boolean).join(', ');
  return (
    <Anchor component={Link} to="/absences" size="xs" data-testid="report-absences">
      {requests.length === 1 ? '1 absence request' : `${requests.length} absence requests`}
      {parts ? ` (${parts})` : ''}
    </Anchor>
  );
}

export function CourseReport({ courseId }: { courseId: string }) {
  const report = useCourseReport(courseId);
  const absences = useQuery(courseAbsencesQuery(courseId));
  const [sort, setSort] = useState<Sort>({ key: 'percentage', desc: false });
  const [belowOnly, setBelowOnly] = useState(false);

  const rows = useMemo(() => {
    if (!report.data) return [];
    return sortItems(belowOnly ? report.data.items.filter((i) => i.belowThreshold) : report.data.items, sort);
  }, [report.data, belowOnly, sort]);

  const downloads = (
    <Group gap="xs">
      <DownloadButton href={reportCsvHref(courseId)} testId="report-download-report">
        Report CSV
      </DownloadButton>
      <DownloadButton href={recordsCsvHref(courseId)} testId="report-download-records">
        All records CSV
      </DownloadButton>
      <DownloadButton href={reportXlsxHref(courseId)} testId="report-download-xlsx">
        Excel
      </DownloadButton>
      <DownloadButton href={reportPdfHref(courseId)} testId="report-download-pdf">
        PDF
      </DownloadButton>
    </Group>
  );

  if (report.isPending) {
    return (
      <Center py="xl">
        <Loader aria-label="Loading the report" />
      </Center>
    );
  }
  if (report.isError) {
    return <QueryError title="Could not load the report" error={report.error} onRetry={() => void report.refetch()} testId="report-error" />;
  }

  const r = report.data;
  const threshold = r.course.thresholdPercent;
  const held = r.sessions > 0;
  const onSort = (key: SortKey) => setSort((s) => (s.key === key ? { key, desc: !s.desc } : { key, desc: false }));

  return (
    <Stack gap="md" data-testid="course-report">
      <Group justify="space-between" align="center" gap="xs">
        <Text size="sm" c="dimmed" style={{ flex: '1 1 240px' }}>
          Counted over held sessions; excused sessions are left out, late counts as attended. Threshold {threshold}%.
        </Text>
        {downloads}
      </Group>

      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs">
        <StatCard label="Students" value={r.summary.students} testId="report-students" />
        <StatCard label="Held sessions" value={r.sessions} testId="report-sessions" />
        <StatCard
          label="Average"
          value={formatPercent(r.summary.averagePercentage)}
          color={r.summary.averagePercentage === null ? 'dimmed' : attendanceColor(r.summary.averagePercentage, threshold)}
          testId="report-average"
        />
        <StatCard label="Below threshold" value={r.summary.belowThreshold} color={r.summary.belowThreshold > 0 ? 'red' : undefined} testId="report-below" />
      </SimpleGrid>

      {r.summary.students === 0 ? (
        <Text c="dimmed" ta="center" py="xl" data-testid="report-empty">
          No students are enrolled yet.
        </Text>
      ) : (
        <>
          {held ? <SessionTrend courseId={courseId} threshold={threshold} /> : null}
          {held ? <AttendanceGrid courseId={courseId} /> : null}
          {held ? (
            <Card withBorder padding="sm">
              <Text size="sm" fw={600} mb="xs">
                Students by attendance
              </Text>
              <Suspense fallback={<Center h={200}><Loader size="sm" aria-label="Loading the chart" /></Center>}>
                <ReportChart data={distribution(r)} />
              </Suspense>
            </Card>
          ) : (
            <Text c="dimmed" size="sm" data-testid="report-not-held">
              No session has been held yet: figures appear once a session closes.
            </Text>
          )}

          <Switch
            checked={belowOnly}
            onChange={(e) => setBelowOnly(e.currentTarget.checked)}
            label={`Below threshold only (${r.summary.belowThreshold})`}
            data-testid="report-below-only"
          />

          {rows.length === 0 ? (
            <Text c="dimmed" ta="center" py="lg" data-testid="report-none-below">
              No student is below the threshold.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={320}>
              <Table striped highlightOnHover horizontalSpacing="xs" data-testid="report-table">
                <Table.Thead>
                  <Table.Tr>
                    {COLUMNS.map((c) => (
                      <SortHeader key={c.key} column={c} sort={sort} onSort={onSort} />
                    ))}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((i) => (
                    <Table.Tr
                      key={i.student.id}
                      data-testid="report-row"
                      data-student-id={i.student.id}
                      data-student-number={i.student.studentNumber ?? ''}
                      data-below={i.belowThreshold}
                    >
                      <Table.Td>
                        <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }} data-testid="report-name">
                          {i.student.name}
                        </Text>
                        <Text size="xs" c="dimmed" hiddenFrom="sm">
                          {i.student.studentNumber ?? ''}
                        </Text>
                        <StudentRequests requests={absences.data?.get(i.student.id)} />
                      </Table.Td>
                      <Table.Td visibleFrom="sm">{i.student.studentNumber ?? '—'}</Table.Td>
                      {(['present', 'late', 'absent', 'excused'] as const).map((k) => (
                        <Table.Td key={k} ta="right" px={4} data-testid={`report-${k}`}>
                          {i[k]}
                        </Table.Td>
                      ))}
                      <Table.Td ta="right" px={4} data-testid="report-percentage" data-percentage={i.percentage ?? ''}>
                        <Text size="sm" fw={700} c={i.percentage === null ? 'dimmed' : attendanceColor(i.percentage, threshold)} style={{ whiteSpace: 'nowrap' }}>
                          {formatPercent(i.percentage)}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </>
      )}
    </Stack>
  );
}
