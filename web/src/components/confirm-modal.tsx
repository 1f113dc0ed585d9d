import type { ReactNode } from 'react';
import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { errorMessage } from '../lib/notify.js';

interface ConfirmModalProps {
  opened: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  loading?: boolean;
  /** The last attempt's failure, shown above the buttons. */
  error?: unknown;
  color?: string;
  testId?: string;
}

/** "Are you sure?" for destructive actions. */
export function ConfirmModal({ opened, title, children, confirmLabel, onConfirm, onClose, loading, error, color = 'red', testId }: ConfirmModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={title} closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack gap="md">
        <Text component="div">{children}</Text>
        {error ? (
          <Alert color="red" title="That did not work">
            {errorMessage(error)}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color={color} loading={loading} onClick={onConfirm} data-testid={testId ?? 'confirm-action'}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
