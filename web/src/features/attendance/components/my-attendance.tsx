import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { Alert, Anchor, Button, Card, Center, Collapse, Group, Loader, RingProgress, SimpleGrid, Stack, Text, Title, Tooltip } from '@mantine/core';
import { WARNING_KIND_LABEL } from '../../../../../common/warning.schemas.js';
import { myWarningsQuery } from '../../../lib/queries/reports.js';
import { useDisclosure } from '@mantine/hooks';
import { IconAlertTriangle, IconChevronDown, IconChevronUp } from '@tabler/icons-react';
import { QueryError } from '../../../components/query-error.js';
import { RecordStatusBadge } from '../../../components/record-status-badge.js';
import { sessionLabel } from '../../../components/session-state-badge.js';
import { attendanceColor, formatPercent, sessionsToRecover } from '../../../lib/attendance.js';
import { STATUS_COLOR, statusMark } from '../../../lib/colors.js';
import { formatDate } from '../../../lib/dates.js';
import { useMyAttendance, type CourseAttendance } from '../api/get-my-attendance.js';

// How each record came to be, in a student's words.
const METHOD_LABEL: Record<string, string> = {
  code: 'Typed code',
  qr: 'QR scan',
  link: 'Check-in link',
  rollcall: 'Marked by teacher',
  device: 'Card reader',
  auto: 'No check-in',
  absence: 'Absence request',
};

const COUNTS = [
  { key: 'present', label: 'Present' },
  { key: 'late', label: 'Late' },
  { key: 'absent', label: 'Absent' },
  { key: 'excused', label: 'Excused' },
] as const;

function BelowWarning({ item }: { item: CourseAttendance }) {
  const threshold = item.course.thresholdPercent;
  const needed = sessionsToRecover(item, threshold);
  return (
    <Alert
      color="red"
      variant="light"
      icon={<IconAlertTriangle size={18} />}
      title={`Below the ${threshold}% threshold`}
      data-testid="attendance-warning"
      data-needed={needed ?? ''}
      p="sm"
    >
      {needed === null
        ? `With a ${threshold}% threshold, a missed session cannot be made up.`
        : `Attend the next ${needed === 1 ? 'session' : `${needed} sessions in a row`} to get back to ${threshold}%.`}
    </Alert>
  );
}

function History({ item }: { item: CourseAttendance }) {
  const [opened, { toggle }] = useDisclosure(false);
  if (item.records.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No attendance recorded yet.
      </Text>
    );
  }
  // Newest first: the last few lectures are what a student looks for.
  const records = [...item.records].reverse();
  return (
    <Stack gap={6}>
      <Button
        variant="subtle"
        size="compact-sm"
        onClick={toggle}
        rightSection={opened ? <IconChevronUp size={16} /> : <IconChevronDown size={16} />}
        aria-expanded={opened}
        style={{ alignSelf: 'flex-start' }}
        data-testid="attendance-history-toggle"
      >
        {opened ? 'Hide history' : `Show history (${records.length})`}
      </Button>
      <Collapse in={opened}>
        <Stack gap={0} data-testid="attendance-history">
          {records.map((r) => (
            <Group
              key={r.sessionId}
              justify="space-between"
              wrap="nowrap"
              gap="xs"
              py={6}
              style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}
              data-testid="attendance-record"
              data-session-number={r.number}
              data-status={r.status}
            >
              <Stack gap={0} style={{ minWidth: 0 }}>
                <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }}>
                  {sessionLabel(r)}
                </Text>
                <Text size="xs" c="dimmed">
                  {formatDate(r.startsAt)} · {METHOD_LABEL[r.method] ?? r.method}
                  {r.counted ? null : ' · counts once the session closes'}
                </Text>
              </Stack>
              <Group gap={6} wrap="nowrap">
                {r.status === 'absent' ? (
                  <Anchor
                    component={Link}
                    to={`/absences/new?courseId=${encodeURIComponent(item.course.id)}&sessionId=${encodeURIComponent(r.sessionId)}`}
                    size="xs"
                    data-testid="record-request-absence"
                  >
                    Request excuse
                  </Anchor>
                ) : null}
                <RecordStatusBadge record={r} />
              </Group>
            </Group>
          ))}
        </Stack>
      </Collapse>
    </Stack>
  );
}

/** One dot per session in start order, coloured by status; sessions not counted yet are hollow. */
function DotTimeline({ item }: { item: CourseAttendance }) {
  if (item.records.length === 0) return null;
  return (
    <Group gap={5} role="group" data-testid="attendance-timeline" aria-label="Your sessions, oldest first">
      {item.records.map((r) => (
        <Tooltip key={r.sessionId} label={`${sessionLabel(r)} · ${formatDate(r.startsAt)} · ${r.status}${r.counted ? '' : ' (counts once closed)'}`} withArrow>
          <span
            data-testid="attendance-dot"
            data-status={r.status}
            role="img"
            aria-label={`${sessionLabel(r)}: ${r.status}`}
            style={{
              width: 14,
              height: 14,
              borderRadius: '50%',
              display: 'inline-block',
              background: r.counted ? statusMark(r.status) : 'transparent',
              border: `2px solid ${statusMark(r.status)}`,
            }}
          />
        </Tooltip>
      ))}
    </Group>
  );
}

/** The student's open warnings in one course, each saying why. */
function CourseWarnings({ courseId }: { courseId: string }) {
  const warnings = useQuery(myWarningsQuery());
  const mine = (warnings.data?.items ?? []).filter((w) => w.courseId === courseId);
  if (mine.length === 0) return null;
  return (
    <Stack gap={4} data-testid="attendance-warnings">
      {mine.map((w) => (
        <Alert key={w.id} color="orange" variant="light" p="xs" title={WARNING_KIND_LABEL[w.kind]} data-testid="my-warning" data-kind={w.kind}>
          {w.detail}
        </Alert>
      ))}
    </Stack>
  );
}

/** One course: the percentage on a ring coloured against the threshold, the counts and the history. */
export function CourseAttendanceCard({ item }: { item: CourseAttendance }) {
  const { course, percentage } = item;
  const color = attendanceColor(percentage, course.thresholdPercent);
  const counted = item.total - item.excused;
  return (
    <Card
      withBorder
      padding="md"
      data-testid="attendance-course"
      data-course-code={course.code}
      data-percentage={percentage ?? ''}
      data-below={item.belowThreshold}
    >
      <Stack gap="sm">
        <Group wrap="nowrap" gap="md" align="center">
          <RingProgress
            size={104}
            thickness={10}
            roundCaps
            sections={percentage === null ? [] : [{ value: Math.max(percentage, 0.5), color }]}
            label={
              <Text ta="center" fw={700} fz={percentage === 100 ? 'lg' : 'xl'} c={percentage === null ? 'dimmed' : color} data-testid="attendance-percentage">
                {formatPercent(percentage)}
              </Text>
            }
            style={{ flex: 'none' }}
          />
          <Stack gap={2} style={{ minWidth: 0 }}>
            <Text fw={700} style={{ overflowWrap: 'anywhere' }}>
              {course.code}
            </Text>
            <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
              {course.name}
            </Text>
            <Text size="xs" c="dimmed" data-testid="attendance-summary">
              {percentage === null
                ? 'No sessions held yet'
                : `Attended ${item.attended} of ${counted} ${counted === 1 ? 'session' : 'sessions'}${item.excused ? ` (${item.excused} excused)` : ''} · threshold ${course.thresholdPercent}%`}
            </Text>
          </Stack>
        </Group>
        {item.belowThreshold ? <BelowWarning item={item} /> : null}
        <CourseWarnings courseId={course.id} />
        <DotTimeline item={item} />
        <SimpleGrid cols={4} spacing="xs">
          {COUNTS.map((c) => (
            <Stack key={c.key} gap={0} align="center" data-testid={`attendance-count-${c.key}`} data-count={item[c.key]}>
              <Text fw={700} fz="lg" c={item[c.key] > 0 ? STATUS_COLOR[c.key] : 'dimmed'}>
                {item[c.key]}
              </Text>
              <Text size="xs" c="dimmed">
                {c.label}
              </Text>
            </Stack>
          ))}
        </SimpleGrid>
        <History item={item} />
        <Button
          component={Link}
          to={`/absences/new?courseId=${encodeURIComponent(course.id)}`}
          variant="light"
          size="compact-sm"
          style={{ alignSelf: 'flex-start' }}
          data-testid="course-request-absence"
        >
          Request an absence
        </Button>
      </Stack>
    </Card>
  );
}

/** `/attendance`: the student's attendance in each of their courses. */
export function MyAttendance() {
  const attendance = useMyAttendance();
  return (
    <Stack gap="md" maw={760} data-testid="my-attendance">
      <Stack gap={4}>
        <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
          Attendance
        </Title>
        <Text size="sm" c="dimmed">
          Your attendance in each course, counted over the sessions held so far. Excused sessions are left out.
        </Text>
      </Stack>
      {attendance.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading your attendance" />
        </Center>
      ) : attendance.isError ? (
        <QueryError title="Could not load your attendance" error={attendance.error} onRetry={() => void attendance.refetch()} testId="attendance-error" />
      ) : attendance.data.length === 0 ? (
        <Text c="dimmed" ta="center" py="xl" data-testid="attendance-empty">
          You are not enrolled in any course yet.
        </Text>
      ) : (
        attendance.data.map((item) => <CourseAttendanceCard key={item.course.id} item={item} />)
      )}
    </Stack>
  );
}
