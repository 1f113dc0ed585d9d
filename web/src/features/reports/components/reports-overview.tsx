import '@mantine/charts/styles.css';
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { LineChart, Sparkline } from '@mantine/charts';
import { Card, Center, Loader, NativeSelect, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import type { Overview } from '../../../../../common/report.schemas.js';
import { QueryError } from '../../../components/query-error.js';
import { StatCard } from '../../../components/stat-card.js';
import { api } from '../../../lib/api-client.js';
import { attendanceColor, formatPercent } from '../../../lib/attendance.js';
import { overviewQuery, type OverviewFilters } from '../../../lib/queries/reports.js';

function useDepartments() {
  return useQuery({
    queryKey: ['departments', 'all-for-filter'],
    queryFn: ({ signal }) => api<{ items: { id: string; code: string; name: string }[] }>('/api/departments', { signal, query: { limit: 200 } }),
  });
}

/** The admin's overview: filters, institution figures, weekly trend, per department and per course. */
export function ReportsOverview() {
  const [filters, setFilters] = useState<OverviewFilters>({});
  const [term, setTerm] = useState('');
  const [debouncedTerm] = useDebouncedValue(term, 300);
  const effective = { ...filters, term: debouncedTerm.trim() || undefined };
  const overview = useQuery({ ...overviewQuery(effective), meta: { inlineErrors: true } });
  const departments = useDepartments();
  const set = (key: keyof OverviewFilters) => (value: string) => setFilters((f) => ({ ...f, [key]: value || undefined }));

  return (
    <Stack gap="md" data-testid="reports-overview">
      <div>
        <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
          Reports
        </Title>
        <Text size="sm" c="dimmed">
          Attendance over held sessions per department and course. Excused sessions are left out; late counts as attended.
        </Text>
      </div>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="xs">
        <NativeSelect
          label="Department"
          data={[{ label: 'All departments', value: '' }, ...(departments.data?.items ?? []).map((d) => ({ label: `${d.code} · ${d.name}`, value: d.id }))]}
          value={filters.departmentId ?? ''}
          onChange={(e) => set('departmentId')(e.currentTarget.value)}
          data-testid="overview-department"
        />
        <TextInput label="Term" placeholder="Any term" value={term} onChange={(e) => setTerm(e.currentTarget.value)} data-testid="overview-term" />
        <TextInput label="From" type="date" value={filters.from ?? ''} onChange={(e) => set('from')(e.currentTarget.value)} data-testid="overview-from" />
        <TextInput label="To" type="date" value={filters.to ?? ''} onChange={(e) => set('to')(e.currentTarget.value)} data-testid="overview-to" />
      </SimpleGrid>
      {overview.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading the overview" />
        </Center>
      ) : overview.isError ? (
        <QueryError title="Could not load the overview" error={overview.error} onRetry={() => void overview.refetch()} testId="overview-error" />
      ) : (
        <OverviewBody o={overview.data} />
      )}
    </Stack>
  );
}

function OverviewBody({ o }: { o: Overview }) {
  return (
    <>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs">
        <StatCard label="Held sessions" value={o.totals.heldSessions} testId="overview-held" />
        <StatCard label="Average attendance" value={formatPercent(o.totals.averagePercentage)} testId="overview-average" />
        <StatCard label="Students (per course)" value={o.totals.students} testId="overview-students" />
        <StatCard label="Below threshold" value={o.totals.belowThreshold} color={o.totals.belowThreshold > 0 ? 'red' : undefined} testId="overview-below" />
      </SimpleGrid>
      {o.weekly.length > 1 ? (
        <Card withBorder padding="sm" data-testid="overview-trend">
          <Text size="sm" fw={600} mb="xs">
            Attendance per week
          </Text>
          <LineChart
            h={220}
            data={o.weekly.map((w) => ({ week: w.week, attendance: w.percentage }))}
            dataKey="week"
            series={[{ name: 'attendance', label: 'Attendance %', color: 'blue' }]}
            yAxisProps={{ domain: [0, 100] }}
            connectNulls
            curveType="linear"
          />
        </Card>
      ) : null}
      <Title order={2} fz="h4">
        Departments
      </Title>
      <Table.ScrollContainer minWidth={480}>
        <Table striped data-testid="overview-departments">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Department</Table.Th>
              <Table.Th ta="right">Held</Table.Th>
              <Table.Th ta="right">Average</Table.Th>
              <Table.Th ta="right">Students</Table.Th>
              <Table.Th ta="right">Below threshold</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {o.departments.map((d) => (
              <Table.Tr key={d.id ?? 'none'} data-testid="overview-department-row">
                <Table.Td>{d.code ? `${d.code} · ${d.name}` : d.name}</Table.Td>
                <Table.Td ta="right">{d.heldSessions}</Table.Td>
                <Table.Td ta="right">{formatPercent(d.averagePercentage)}</Table.Td>
                <Table.Td ta="right">{d.students}</Table.Td>
                <Table.Td ta="right" c={d.belowThreshold > 0 ? 'red' : undefined}>
                  {d.belowThreshold}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Title order={2} fz="h4">
        Courses
      </Title>
      {o.courses.length === 0 ? (
        <Text c="dimmed" data-testid="overview-no-courses">
          No course matches these filters.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table striped data-testid="overview-courses">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Course</Table.Th>
                <Table.Th>Term</Table.Th>
                <Table.Th ta="right">Held</Table.Th>
                <Table.Th ta="right">Average</Table.Th>
                <Table.Th>Trend</Table.Th>
                <Table.Th ta="right">Below threshold</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {o.courses.map((c) => {
                const points = c.trend.map((t) => t.percentage).filter((p): p is number => p !== null);
                return (
                  <Table.Tr key={c.id} data-testid="overview-course-row" data-course-id={c.id}>
                    <Table.Td>
                      <Text fw={600} size="sm">
                        {c.code}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {c.name}
                      </Text>
                    </Table.Td>
                    <Table.Td>{c.term ?? '—'}</Table.Td>
                    <Table.Td ta="right">{c.heldSessions}</Table.Td>
                    <Table.Td ta="right" c={attendanceColor(c.averagePercentage, c.thresholdPercent)} fw={700}>
                      {formatPercent(c.averagePercentage)}
                    </Table.Td>
                    <Table.Td w={140}>{points.length > 1 ? <Sparkline w={120} h={28} data={points} curveType="linear" color="blue" /> : null}</Table.Td>
                    <Table.Td ta="right" c={c.belowThreshold > 0 ? 'red' : undefined}>
                      {c.belowThreshold} / {c.students}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </>
  );
}
