import { memo, type Ref } from 'react';
import { ActionIcon, Avatar, Badge, Box, Button, Group, Loader, Paper, Text, Tooltip } from '@mantine/core';
import { IconAlertTriangle, IconDots, IconNote } from '@tabler/icons-react';
import type { AttendanceStatus } from '../../../../../common/attendance.schemas.js';
import { RecordStatusBadge } from '../../../components/record-status-badge.js';
import { formatTime } from '../../../lib/dates.js';
import type { HeldRecord } from '../../../lib/queries/session-live.js';
import { METHOD_LABEL, STATUS_OPTIONS, avatarColor, initials } from './statuses.js';

export interface RosterRow {
  studentId: string;
  name: string;
  studentNumber: string | null;
  /** False for a student with a record who is no longer on the roster. */
  enrolled: boolean;
  record: HeldRecord | undefined;
  /** A mark sent and not answered yet (shown at once). */
  sending: AttendanceStatus | undefined;
  /** Why the last mark failed, until the next one succeeds. */
  error: string | undefined;
}

interface StudentRowProps {
  ref?: Ref<HTMLDivElement>;
  row: RosterRow;
  active: boolean;
  onActivate: (studentId: string) => void;
  onMark: (row: RosterRow, status: AttendanceStatus) => void;
  onEdit: (row: RosterRow) => void;
}

function RecordMeta({ record }: { record: HeldRecord }) {
  const bits = [METHOD_LABEL[record.method]];
  if (record.checkedInAt && (record.status === 'present' || record.status === 'late')) bits.push(formatTime(record.checkedInAt));
  return (
    <Text size="xs" c="dimmed" span>
      {bits.join(' · ')}
    </Text>
  );
}

/** One student of the roster: initials, name, number, status, the four one-tap marks and the edit button. */
export const StudentRow = memo(function StudentRow({ ref, row, active, onActivate, onMark, onEdit }: StudentRowProps) {
    const current = row.sending ?? row.record?.status;
    return (
      <Paper
        ref={ref}
        withBorder
        p="xs"
        radius="md"
        role="listitem"
        tabIndex={active ? 0 : -1}
        aria-current={active ? 'true' : undefined}
        aria-label={`${row.name}${row.studentNumber ? `, ${row.studentNumber}` : ''}: ${current ?? 'unmarked'}`}
        data-testid="roll-call-row"
        data-student-id={row.studentId}
        data-student-number={row.studentNumber ?? ''}
        data-status={row.record?.status ?? 'unmarked'}
        data-sending={row.sending ?? undefined}
        data-active={active ? 'true' : 'false'}
        onFocus={(e) => {
          if (e.target === e.currentTarget) onActivate(row.studentId);
        }}
        onClick={() => onActivate(row.studentId)}
        style={{
          outline: 'none',
          borderColor: active ? 'var(--mantine-color-blue-filled)' : undefined,
          boxShadow: active ? '0 0 0 1px var(--mantine-color-blue-filled)' : undefined,
          scrollMarginBlock: 80,
        }}
      >
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Group gap="sm" wrap="nowrap" style={{ flex: '1 1 240px', minWidth: 0 }}>
            <Avatar radius="xl" size={36} color={avatarColor(row.studentId)} aria-hidden>
              {initials(row.name)}
            </Avatar>
            <Box style={{ minWidth: 0, flex: 1 }}>
              <Text fw={600} truncate data-testid="roll-call-name">
                {row.name}
              </Text>
              <Group gap={6} wrap="wrap">
                <Text size="xs" c="dimmed" span>
                  {row.studentNumber ?? 'no number'}
                </Text>
                {row.record ? <RecordMeta record={row.record} /> : null}
                {!row.enrolled ? (
                  <Badge size="xs" variant="outline" color="gray">
                    not enrolled
                  </Badge>
                ) : null}
                {row.record?.flags.map((flag) => (
                  <Badge key={flag} size="xs" variant="light" color="orange">
                    {flag}
                  </Badge>
                ))}
                {row.record?.note ? (
                  <Tooltip label={row.record.note} multiline maw={280}>
                    <IconNote size={14} aria-label={`Note: ${row.record.note}`} color="var(--mantine-color-dimmed)" />
                  </Tooltip>
                ) : null}
              </Group>
            </Box>
            <Group gap={4} wrap="nowrap" style={{ flex: 'none' }}>
              {row.sending ? <Loader size={14} aria-label="Saving" /> : null}
              {row.error ? (
                <Tooltip label={row.error} multiline maw={280} events={{ hover: true, focus: true, touch: true }}>
                  <IconAlertTriangle size={18} color="var(--mantine-color-red-filled)" aria-label={`Not saved: ${row.error}`} data-testid="roll-call-row-error" />
                </Tooltip>
              ) : null}
              {row.record ? (
                <RecordStatusBadge record={row.record} />
              ) : (
                <Badge variant="outline" color="gray" data-testid="record-status" data-status="unmarked">
                  unmarked
                </Badge>
              )}
            </Group>
          </Group>
          <Group gap={6} wrap="nowrap" style={{ flex: '1 1 300px', maxWidth: 420 }}>
            <Button.Group style={{ flex: 1 }}>
              {STATUS_OPTIONS.map((option) => {
                const on = current === option.status;
                return (
                  <Button
                    key={option.status}
                    size="compact-sm"
                    h={34}
                    px={4}
                    style={{ flex: 1 }}
                    variant={on ? 'filled' : 'default'}
                    color={option.color}
                    aria-pressed={on}
                    aria-label={`${option.label}: ${row.name}`}
                    title={`${option.label} (${option.key.toUpperCase()})`}
                    data-testid={`mark-${option.status}`}
                    onClick={(e) => {
                      e.stopPropagation();
                      onActivate(row.studentId);
                      onMark(row, option.status);
                    }}
                  >
                    {option.label}
                  </Button>
                );
              })}
            </Button.Group>
            <ActionIcon
              variant="subtle"
              size={34}
              aria-label={`Edit the record of ${row.name}`}
              title="Edit, note and history"
              data-testid="edit-record"
              onClick={(e) => {
                e.stopPropagation();
                onEdit(row);
              }}
            >
              <IconDots size={18} />
            </ActionIcon>
          </Group>
        </Group>
      </Paper>
    );
});
