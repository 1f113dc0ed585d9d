import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { User } from '../../../../../common/user.schemas.js';
import { notifySuccess } from '../../../lib/notify.js';
import { useDeactivateUser } from '../api/deactivate-user.js';

/** Asks before deactivating; a failure is reported by the global notification. */
export function DeactivateUserModal({ user, onClose }: { user: User | null; onClose: () => void }) {
  const deactivate = useDeactivateUser();
  return (
    <Modal opened={user !== null} onClose={onClose} title="Deactivate user" closeButtonProps={{ 'aria-label': 'Close' }}>
      {user ? (
        <Stack gap="md">
          <Text>
            Deactivate <b>{user.name}</b> ({user.username})? They will no longer be able to sign in. Their attendance
            history is kept, and you can reactivate them later from Edit.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={deactivate.isPending}
              data-testid="confirm-deactivate"
              onClick={() =>
                deactivate.mutate(user.id, {
                  onSuccess: () => {
                    notifySuccess(`${user.name} is deactivated.`);
                    onClose();
                  },
                })
              }
            >
              Deactivate
            </Button>
          </Group>
        </Stack>
      ) : null}
    </Modal>
  );
}
