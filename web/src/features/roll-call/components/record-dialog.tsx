import { useState } from 'react';
import { Alert, Avatar, Button, Divider, Group, Modal, SegmentedControl, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconTrash } from '@tabler/icons-react';
import type { AttendanceStatus } from '../../../../../common/attendance.schemas.js';
import { LIMITS } from '../../../../../common/limits.js';
import { ConfirmModal } from '../../../components/confirm-modal.js';
import { RecordStatusBadge } from '../../../components/record-status-badge.js';
import { ApiError } from '../../../lib/api-client.js';
import { formatDateTime } from '../../../lib/dates.js';
import { errorMessage, notifySuccess } from '../../../lib/notify.js';
import { useDeleteRecord } from '../api/delete-record.js';
import { useMarkRecord } from '../api/mark-record.js';
import { RecordAbsences } from './record-absences.js';
import { RecordHistory } from './record-history.js';
import { METHOD_LABEL, STATUS_OPTIONS, avatarColor, initials } from './statuses.js';
import type { RosterRow } from './student-row.js';

interface RecordDialogProps {
  sessionId: string;
  /** The row as it is now (kept current by live events while the dialog is open). */
  row: RosterRow | null;
  canDelete: boolean;
  closedSession: boolean;
  onClose: () => void;
}

/** Edit one student's record: status and note (the reason, kept in the audit trail), its history, and (admins) delete. */
export function RecordDialog({ sessionId, row, canDelete, closedSession, onClose }: RecordDialogProps) {
  const fullScreen = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
  return (
    <Modal
      opened={row !== null}
      onClose={onClose}
      title={<Title order={3}>Record</Title>}
      size="lg"
      fullScreen={fullScreen}
      closeButtonProps={{ 'aria-label': 'Close' }}
      data-testid="record-dialog"
    >
      {row ? <RecordEditor key={row.studentId} sessionId={sessionId} row={row} canDelete={canDelete} closedSession={closedSession} onClose={onClose} /> : null}
    </Modal>
  );
}

function RecordEditor({ sessionId, row, canDelete, closedSession, onClose }: RecordDialogProps & { row: RosterRow }) {
  const record = row.record;
  // The version this edit started from: a save is refused (409) if someone changed the record since.
  const [base, setBase] = useState(() => ({ version: record?.version ?? 0, status: record?.status, note: record?.note ?? '' }));
  const [status, setStatus] = useState<AttendanceStatus | undefined>(record?.status);
  const [note, setNote] = useState(record?.note ?? '');
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteReason, setDeleteReason] = useState('');
  const save = useMarkRecord({ inlineErrors: true });
  const remove = useDeleteRecord();

  const current = record?.version ?? 0;
  const changedMeanwhile = current !== base.version;

  const reloadLatest = () => {
    setBase({ version: record?.version ?? 0, status: record?.status, note: record?.note ?? '' });
    setStatus(record?.status);
    setNote(record?.note ?? '');
    save.reset();
  };

  const trimmed = note.trim();
  const dirty = status !== undefined && (status !== base.status || trimmed !== base.note.trim());
  const conflict = save.error instanceof ApiError && save.error.code === 'conflict';

  const onSave = () => {
    if (!status) return;
    save.mutate(
      {
        sessionId,
        studentId: row.studentId,
        status,
        note: trimmed === '' ? (base.note ? null : undefined) : trimmed,
        expectedVersion: base.version > 0 ? base.version : undefined,
      },
      {
        onSuccess: () => {
          notifySuccess(`${row.name}: ${status}${trimmed ? ` (${trimmed})` : ''}.`, 'Record saved');
          onClose();
        },
      },
    );
  };

  return (
    <Stack gap="md">
      <Group gap="sm" wrap="nowrap">
        <Avatar radius="xl" size={44} color={avatarColor(row.studentId)} aria-hidden>
          {initials(row.name)}
        </Avatar>
        <div style={{ minWidth: 0, flex: 1 }}>
          <Text fw={600} data-testid="record-dialog-name">
            {row.name}
          </Text>
          <Text size="sm" c="dimmed">
            {row.studentNumber ?? 'no number'}
          </Text>
        </div>
        {record ? <RecordStatusBadge record={record} /> : <Text c="dimmed">unmarked</Text>}
      </Group>
      <RecordAbsences sessionId={sessionId} studentId={row.studentId} />

      {record ? (
        <Text size="sm" c="dimmed">
          By {METHOD_LABEL[record.method]}
          {record.checkedInAt ? `, arrived ${formatDateTime(record.checkedInAt)}` : ''}; last changed {formatDateTime(record.updatedAt)}
          {record.flags.length > 0 ? `; flags: ${record.flags.join(', ')}` : ''}.
        </Text>
      ) : null}

      {closedSession ? (
        <Alert color="blue" variant="light">
          The session is closed: this is an edit after the fact. It is kept in the history below with your note.
        </Alert>
      ) : null}

      {changedMeanwhile ? (
        <Alert color="orange" title="Changed meanwhile" data-testid="record-changed-meanwhile">
          <Stack gap="xs" align="flex-start">
            <Text size="sm">Someone else changed this record while you had it open. Load their version before saving yours.</Text>
            <Button size="xs" variant="light" color="orange" onClick={reloadLatest} data-testid="record-load-latest">
              Load the latest
            </Button>
          </Stack>
        </Alert>
      ) : null}

      <Stack gap={6}>
        <Text size="sm" fw={500} id="record-status-label">
          Status
        </Text>
        <SegmentedControl
          aria-labelledby="record-status-label"
          fullWidth
          value={status ?? ''}
          onChange={(v) => setStatus(v as AttendanceStatus)}
          data={STATUS_OPTIONS.map((o) => ({ value: o.status, label: o.label }))}
          data-testid="record-status-input"
        />
      </Stack>
      <Textarea
        label="Note (reason)"
        description="Why: e.g. doctor's note, came in late. Kept with the change in the history."
        placeholder="Optional"
        autosize
        minRows={2}
        maxLength={LIMITS.textMax}
        value={note}
        onChange={(e) => setNote(e.currentTarget.value)}
        data-testid="record-note"
      />

      {save.error && !conflict ? (
        <Alert color="red" title="Not saved" data-testid="record-save-error">
          {errorMessage(save.error)}
        </Alert>
      ) : null}
      {conflict ? (
        <Alert color="orange" title="Someone changed it first" data-testid="record-save-error">
          <Stack gap="xs" align="flex-start">
            <Text size="sm">{errorMessage(save.error)}</Text>
            <Button size="xs" variant="light" color="orange" onClick={reloadLatest}>
              Load the latest
            </Button>
          </Stack>
        </Alert>
      ) : null}

      <Group justify="space-between">
        {canDelete && record ? (
          <Button
            variant="subtle"
            color="red"
            leftSection={<IconTrash size={16} />}
            onClick={() => {
              remove.reset();
              setConfirmDelete(true);
            }}
            data-testid="record-delete"
          >
            Delete record
          </Button>
        ) : (
          <span />
        )}
        <Group gap="xs">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={onSave} loading={save.isPending} disabled={!dirty || changedMeanwhile} data-testid="record-save">
            Save
          </Button>
        </Group>
      </Group>

      <Divider label="History" labelPosition="left" />
      <RecordHistory sessionId={sessionId} studentId={row.studentId} />

      <ConfirmModal
        opened={confirmDelete}
        title="Delete this record?"
        confirmLabel="Delete record"
        loading={remove.isPending}
        error={remove.error}
        testId="confirm-delete-record"
        onClose={() => setConfirmDelete(false)}
        onConfirm={() =>
          remove.mutate(
            { sessionId, studentId: row.studentId, reason: deleteReason.trim() || undefined },
            {
              onSuccess: () => {
                notifySuccess(`${row.name}'s record is deleted; they show as unmarked.`);
                setConfirmDelete(false);
                onClose();
              },
            },
          )
        }
      >
        <Stack gap="sm">
          <Text size="sm">
            {row.name} will show as unmarked in this session. The deleted record is kept in the audit trail.
          </Text>
          <TextInput
            label="Reason"
            placeholder="Optional, e.g. marked in the wrong session"
            value={deleteReason}
            maxLength={LIMITS.textMax}
            onChange={(e) => setDeleteReason(e.currentTarget.value)}
            data-testid="delete-reason"
          />
        </Stack>
      </ConfirmModal>
    </Stack>
  );
}
