import { useState } from 'react';
import { Button, Card, Group, List, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconCheck } from '@tabler/icons-react';
import type { CourseStudent } from '../../../../../common/course.schemas.js';
import type { RecordWithStudent } from '../../../lib/queries/session-live.js';
import { RecordStatusBadge } from '../../../components/record-status-badge.js';
import { formatTimeWithSeconds } from '../../../lib/dates.js';
import { FlagBadges, METHOD_LABELS, SyncBadge } from './record-badges.js';

type Filter = 'all' | 'pending' | 'flagged' | 'not-yet';

interface CheckinListProps {
  records: RecordWithStudent[];
  /** Enrolled students without a record yet (undefined while the roster loads). */
  notYet?: CourseStudent[];
  /** Confirms one pending check-in; absent when the viewer cannot (or the session is over). */
  onConfirm?: (studentId: string) => void;
  confirming: string | null;
}

const timeOf = (r: RecordWithStudent) => (r.checkedInAt ? formatTimeWithSeconds(r.checkedInAt) : '—');

function ConfirmButton({ record, onConfirm, confirming }: { record: RecordWithStudent } & Pick<CheckinListProps, 'onConfirm' | 'confirming'>) {
  if (record.state !== 'pending' || !onConfirm) return null;
  return (
    <Button
      size="xs"
      color="teal"
      leftSection={<IconCheck size={14} />}
      loading={confirming === record.studentId}
      style={{ flexShrink: 0 }}
      onClick={() => onConfirm(record.studentId)}
      aria-label={`Confirm ${record.student.name}`}
      data-testid={`confirm-${record.studentId}`}
    >
      Confirm
    </Button>
  );
}

/** Enrolled students who have not checked in (nor been marked), by name. */
function NotYetList({ students }: { students: CourseStudent[] }) {
  if (students.length === 0) {
    return (
      <Text c="dimmed" ta="center" py="lg" data-testid="not-yet-empty">
        Every enrolled student has checked in or been marked.
      </Text>
    );
  }
  return (
    <List spacing={4} listStyleType="none" data-testid="not-yet-list">
      {students.map((s) => (
        <List.Item key={s.id} data-testid={`not-yet-${s.id}`}>
          <Text span fw={500}>
            {s.name}
          </Text>
          {s.studentNumber ? (
            <Text span size="sm" c="dimmed">
              {' '}
              · {s.studentNumber}
            </Text>
          ) : null}
        </List.Item>
      ))}
    </List>
  );
}

/** Who checked in, newest first, with pending ones to confirm and flagged ones marked. */
export function CheckinList({ records, notYet, onConfirm, confirming }: CheckinListProps) {
  const [filter, setFilter] = useState<Filter>('all');
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  const pending = records.filter((r) => r.state === 'pending').length;
  const flagged = records.filter((r) => r.flags.length > 0).length;
  const shown = records.filter((r) => (filter === 'pending' ? r.state === 'pending' : filter === 'flagged' ? r.flags.length > 0 : true));

  return (
    <Stack gap="sm" data-testid="checkin-list">
      <SegmentedControl
        size="xs"
        value={filter}
        onChange={(value) => setFilter(value as Filter)}
        data={[
          { value: 'all', label: `All (${records.length})` },
          { value: 'pending', label: `Pending (${pending})` },
          { value: 'flagged', label: `Flagged (${flagged})` },
          ...(notYet ? [{ value: 'not-yet', label: `Not yet (${notYet.length})` }] : []),
        ]}
        aria-label="Show"
        style={{ alignSelf: 'flex-start' }}
      />
      {filter === 'not-yet' ? (
        <NotYetList students={notYet ?? []} />
      ) : shown.length === 0 ? (
        <Text c="dimmed" ta="center" py="lg" data-testid="checkin-list-empty">
          {filter === 'all' ? 'Nobody has checked in yet.' : filter === 'pending' ? 'Nothing waits for approval.' : 'No flagged check-ins.'}
        </Text>
      ) : phone ? (
        <Stack gap="xs">
          {shown.map((r) => (
            <Card
              key={r.studentId}
              withBorder
              padding="sm"
              data-testid={`record-${r.studentId}`}
              data-student-name={r.student.name}
              style={r.flags.length > 0 ? { borderColor: 'var(--mantine-color-red-5)' } : undefined}
            >
              <Group justify="space-between" wrap="nowrap" align="flex-start">
                <div style={{ minWidth: 0 }}>
                  <Text fw={600} truncate>
                    {r.student.name}
                  </Text>
                  <Text size="sm" c="dimmed">
                    {timeOf(r)} · {METHOD_LABELS[r.method]}
                    {r.student.studentNumber ? ` · ${r.student.studentNumber}` : ''}
                  </Text>
                  <Group gap={4} mt={4}>
                    <RecordStatusBadge record={r} />
                    <SyncBadge sync={r.sync} />
                    <FlagBadges flags={r.flags} />
                  </Group>
                </div>
                <ConfirmButton record={r} onConfirm={onConfirm} confirming={confirming} />
              </Group>
            </Card>
          ))}
        </Stack>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table verticalSpacing="xs" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Time</Table.Th>
                <Table.Th>Student</Table.Th>
                <Table.Th>Method</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th aria-label="Actions" />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((r) => (
                <Table.Tr
                  key={r.studentId}
                  data-testid={`record-${r.studentId}`}
                  data-student-name={r.student.name}
                  bg={r.flags.length > 0 ? 'var(--mantine-color-red-0)' : undefined}
                >
                  <Table.Td ff="monospace" style={{ whiteSpace: 'nowrap', width: '1%' }}>
                    {timeOf(r)}
                  </Table.Td>
                  <Table.Td>
                    <Text fw={500}>{r.student.name}</Text>
                    {r.student.studentNumber ? (
                      <Text size="xs" c="dimmed">
                        {r.student.studentNumber}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{METHOD_LABELS[r.method]}</Table.Td>
                  <Table.Td miw={170}>
                    <Stack gap={4} align="flex-start">
                      <div style={{ width: 'max-content' }}>
                        <RecordStatusBadge record={r} />
                      </div>
                      <SyncBadge sync={r.sync} />
                      <FlagBadges flags={r.flags} />
                    </Stack>
                  </Table.Td>
                  <Table.Td ta="right" style={{ width: '1%' }}>
                    <ConfirmButton record={r} onConfirm={onConfirm} confirming={confirming} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
