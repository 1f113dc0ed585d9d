import { useState } from 'react';
import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { useDisclosure, useDocumentTitle } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import type { Device } from '../../../../../../common/device.schemas.js';
import { DevicesList } from '../../../../features/devices/components/devices-list.js';
import { KioskHelp } from '../../../../features/devices/components/kiosk-help.js';
import { RegisterDeviceModal } from '../../../../features/devices/components/register-device-modal.js';
import { RevokeDeviceModal } from '../../../../features/devices/components/revoke-device-modal.js';

/** `/admin/devices`: scanning devices (kiosks, card readers) and their keys. */
export function DevicesRoute() {
  useDocumentTitle('Devices · Rollbook');
  const [registerOpened, register] = useDisclosure(false);
  const [revoking, setRevoking] = useState<Device | null>(null);

  return (
    <Stack gap="md" data-testid="devices-page">
      <Group justify="space-between" gap="xs">
        <div>
          <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
            Devices
          </Title>
          <Text size="sm" c="dimmed">
            Kiosks, card readers and face-recognition terminals that post scans to one endpoint.
          </Text>
        </div>
        <Button leftSection={<IconPlus size={18} />} onClick={register.open} data-testid="register-device">
          Register device
        </Button>
      </Group>
      <DevicesList onRevoke={setRevoking} />
      <KioskHelp />
      <RegisterDeviceModal opened={registerOpened} onClose={register.close} />
      <RevokeDeviceModal device={revoking} onClose={() => setRevoking(null)} />
    </Stack>
  );
}
