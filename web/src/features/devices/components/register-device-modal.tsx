import { useEffect, useState, type FormEvent } from 'react';
import { ActionIcon, Alert, Button, Code, CopyButton, Group, Modal, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';
import type { Device } from '../../../../../common/device.schemas.js';
import { LIMITS } from '../../../../../common/limits.js';
import { blankToUndefined, useForm } from '../../../lib/form.js';
import { createDeviceInputSchema, useCreateDevice } from '../api/create-device.js';

interface Values extends Record<string, string> {
  name: string;
  location: string;
}

const EMPTY: Values = { name: '', location: '' };

/** The new key, with a copy button and the warning that it is shown this once. */
function KeyOnce({ device, apiKey, onDone }: { device: Device; apiKey: string; onDone: () => void }) {
  return (
    <Stack gap="md" data-testid="device-key-panel">
      <Alert color="orange" icon={<IconAlertTriangle size={18} />} title="Copy the key now: it is shown only this once">
        Rollbook keeps only a fingerprint of it and cannot show it again. Put it in the configuration of “{device.name}”, not in a
        chat, a ticket or a screenshot. If it is lost, register the device again and revoke this entry.
      </Alert>
      <Stack gap={4}>
        <Text size="sm" fw={500}>
          API key for {device.name}
        </Text>
        <Group gap="xs" wrap="nowrap" align="center">
          <Code block style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} data-testid="device-api-key">
            {apiKey}
          </Code>
          <CopyButton value={apiKey} timeout={2500}>
            {({ copied, copy }) => (
              <Tooltip label={copied ? 'Copied' : 'Copy the key'} withArrow>
                <ActionIcon
                  size="lg"
                  variant={copied ? 'filled' : 'light'}
                  color={copied ? 'teal' : 'blue'}
                  onClick={copy}
                  aria-label={copied ? 'Copied' : 'Copy the key'}
                  data-testid="copy-device-key"
                >
                  {copied ? <IconCheck size={18} /> : <IconCopy size={18} />}
                </ActionIcon>
              </Tooltip>
            )}
          </CopyButton>
        </Group>
        <Text size="xs" c="dimmed">
          The device sends it as <Code>Authorization: Bearer {device.keyPrefix}…</Code> on every scan.
        </Text>
      </Stack>
      <Group justify="flex-end">
        <Button onClick={onDone} data-testid="device-key-done">
          I have copied the key
        </Button>
      </Group>
    </Stack>
  );
}

/** Register a device: name and location, then its API key shown once. */
export function RegisterDeviceModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const create = useCreateDevice();
  const form = useForm<Values>(EMPTY);
  const [created, setCreated] = useState<{ device: Device; apiKey: string } | null>(null);
  const fullScreen = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
  const { reset } = form;
  const resetMutation = create.reset;

  useEffect(() => {
    if (opened) {
      reset(EMPTY);
      resetMutation();
      setCreated(null);
    }
  }, [opened, reset, resetMutation]);

  // Forget the key as soon as the dialog closes.
  const close = () => {
    setCreated(null);
    onClose();
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    const input = form.validate(createDeviceInputSchema, {
      name: form.values.name,
      location: blankToUndefined(form.values.location),
    });
    if (!input) return;
    create.mutate(input, {
      onSuccess: (result) => setCreated(result),
      onError: (error) => form.applyError(error),
    });
  }

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={created ? 'Device registered' : 'Register a device'}
      size="lg"
      fullScreen={fullScreen}
      // The key must not vanish on a stray click outside.
      closeOnClickOutside={!created}
      closeOnEscape={!created}
      closeButtonProps={{ 'aria-label': 'Close' }}
      data-testid="register-device-modal"
    >
      {created ? (
        <KeyOnce device={created.device} apiKey={created.apiKey} onDone={close} />
      ) : (
        <form onSubmit={submit} noValidate data-testid="register-device-form">
          <Stack gap="sm">
            <TextInput
              label="Name"
              description="How teachers will recognise it when they open a session."
              placeholder="Gate kiosk"
              required
              maxLength={LIMITS.nameMax}
              data-autofocus
              data-testid="device-name"
              {...form.textProps('name')}
            />
            <TextInput
              label="Location"
              placeholder="Main building, ground floor"
              maxLength={LIMITS.venueMax}
              data-testid="device-location"
              {...form.textProps('location')}
            />
            {form.formError ? (
              <Alert color="red" title="Not registered" data-testid="register-device-error">
                {form.formError}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending} data-testid="register-device-submit">
                Register
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
