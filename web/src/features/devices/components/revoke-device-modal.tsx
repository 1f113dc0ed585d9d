import { Text } from '@mantine/core';
import type { Device } from '../../../../../common/device.schemas.js';
import { ConfirmModal } from '../../../components/confirm-modal.js';
import { notifySuccess } from '../../../lib/notify.js';
import { useRevokeDevice } from '../api/revoke-device.js';

/** Asks before revoking: the device's scans are refused from then on, and the key cannot be restored. */
export function RevokeDeviceModal({ device, onClose }: { device: Device | null; onClose: () => void }) {
  const revoke = useRevokeDevice();
  const close = () => {
    revoke.reset();
    onClose();
  };
  return (
    <ConfirmModal
      opened={device !== null}
      title="Revoke device key"
      confirmLabel="Revoke"
      loading={revoke.isPending}
      error={revoke.error}
      testId="confirm-revoke-device"
      onClose={close}
      onConfirm={() => {
        if (!device) return;
        revoke.mutate(device.id, {
          onSuccess: () => {
            notifySuccess(`${device.name} can no longer send scans.`, 'Device revoked');
            close();
          },
        });
      }}
    >
      {device ? (
        <Text size="sm">
          Revoke the key of <b>{device.name}</b> ({device.keyPrefix}…)? Its scans are refused from then on, also for sessions
          it is bound to. This cannot be undone: to use the device again, register it anew and give it the new key.
        </Text>
      ) : null}
    </ConfirmModal>
  );
}
