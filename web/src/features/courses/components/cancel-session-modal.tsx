import { useEffect, useState } from 'react';
import { Alert, Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import type { Session } from '../../../../../common/session.schemas.js';
import { sessionLabel } from '../../../components/session-state-badge.js';
import { formatDateTime } from '../../../lib/dates.js';
import { errorMessage, notifySuccess } from '../../../lib/notify.js';
import { useCancelSession } from '../api/sessions.js';

/** Cancel with a reason; the course's students are notified live. */
export function CancelSessionModal({ session, onClose }: { session: Session | null; onClose: () => void }) {
  const cancel = useCancelSession();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const { reset } = cancel;

  useEffect(() => {
    if (!session) return;
    setReason('');
    setError(null);
    reset();
  }, [session, reset]);

  function submit() {
    if (!session) return;
    if (reason.trim() === '') {
      setError('Say why, so students know (e.g. “Teacher ill, see you next week”).');
      return;
    }
    cancel.mutate(
      { id: session.id, reason: reason.trim() },
      {
        onSuccess: () => {
          notifySuccess(`${sessionLabel(session)} is cancelled; its students are notified.`);
          onClose();
        },
      },
    );
  }

  return (
    <Modal opened={session !== null} onClose={onClose} title="Cancel session" closeButtonProps={{ 'aria-label': 'Close' }}>
      {session ? (
        <Stack gap="sm" data-testid="cancel-session-form">
          <Text size="sm">
            Cancel <b>{sessionLabel(session)}</b> on {formatDateTime(session.startsAt)}? Every enrolled student gets a notification with your
            reason. A cancelled session never counts towards attendance, and cannot be reopened.
          </Text>
          <Textarea
            label="Reason"
            required
            autosize
            minRows={2}
            maxRows={6}
            value={reason}
            onChange={(e) => {
              setReason(e.currentTarget.value);
              setError(null);
            }}
            error={error}
            data-testid="cancel-reason"
          />
          {cancel.isError ? <Alert color="red" title="Could not cancel">{errorMessage(cancel.error)}</Alert> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Keep it
            </Button>
            <Button color="red" loading={cancel.isPending} onClick={submit} data-testid="cancel-session-submit">
              Cancel session
            </Button>
          </Group>
        </Stack>
      ) : null}
    </Modal>
  );
}
