import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { Summary } from '../../../../../common/attendance.schemas.js';
import { errorMessage } from '../../../lib/notify.js';
import { useCloseSession, type CloseResult } from '../api/close-session.js';

interface CloseSessionModalProps {
  sessionId: string;
  opened: boolean;
  summary: Summary | undefined;
  onClose: () => void;
  /** `markedAbsent`: the number this dialog announced (students without a record when confirmed). */
  onClosed?: (result: CloseResult, markedAbsent: number | undefined) => void;
}

/** Asks before closing check-in, saying how many students will become absent. */
export function CloseSessionModal({ sessionId, opened, summary, onClose, onClosed }: CloseSessionModalProps) {
  const close = useCloseSession();
  const missing = summary?.unmarked;
  return (
    <Modal opened={opened} onClose={onClose} title="Close check-in?" closeButtonProps={{ 'aria-label': 'Cancel' }} centered>
      <Stack gap="md">
        <Text>
          Nobody can check in after this.{' '}
          {missing === undefined
            ? 'Every enrolled student who has not checked in will be marked absent.'
            : missing === 0
              ? 'Every enrolled student already has a record.'
              : `${missing} enrolled ${missing === 1 ? 'student who has' : 'students who have'} not checked in will be marked absent.`}{' '}
          You can still change individual records afterwards.
        </Text>
        {summary && summary.pending > 0 ? (
          <Alert color="yellow">
            {summary.pending} check-in{summary.pending === 1 ? ' is' : 's are'} still pending approval; they stay pending until you confirm them.
          </Alert>
        ) : null}
        {close.isError ? (
          <Alert color="red" data-testid="close-error">
            {errorMessage(close.error)}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Keep open
          </Button>
          <Button
            color="red"
            loading={close.isPending}
            data-testid="confirm-close"
            onClick={() => {
              const announced = missing;
              close.mutate(sessionId, {
                onSuccess: (result) => {
                  onClosed?.(result, announced);
                  onClose();
                },
              });
            }}
          >
            Close check-in
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
