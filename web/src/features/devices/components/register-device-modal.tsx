import { useEffect, useState, type FormEvent } from 'react';
import { Alert, Button, Code, Group, Stack, TextInput } from '@mantine/core';
import type { Device } from '../../../../../common/device.schemas.js';
import { LIMITS } from '../../../../../common/limits.js';
import { SecretOnce, SecretOnceModal } from '../../../components/secret-once.js';
import { blankToUndefined, useForm } from '../../../lib/form.js';
import { createDeviceInputSchema, useCreateDevice } from '../api/create-device.js';

interface Values extends Record<string, string> {
  name: string;
  location: string;
}

const EMPTY: Values = { name: '', location: '' };

/** Register a device: name and location, then its API key shown once. */
export function RegisterDeviceModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const create = useCreateDevice();
  const form = useForm<Values>(EMPTY);
  const [created, setCreated] = useState<{ device: Device; apiKey: string } | null>(null);
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
    <SecretOnceModal
      opened={opened}
      onClose={close}
      title={created ? 'Device registered' : 'Register a device'}
      showingSecret={created !== null}
      testId="register-device-modal"
    >
      {created ? (
        <SecretOnce
          title="Copy the key now: it is shown only this once"
          warning={
            <>
              Rollbook keeps only a fingerprint of it and cannot show it again. Put it in the configuration of “{created.device.name}”, not
              in a chat, a ticket or a screenshot. If it is lost, register the device again and revoke this entry.
            </>
          }
          label={`API key for ${created.device.name}`}
          value={created.apiKey}
          noun="key"
          hint={
            <>
              The device sends it as <Code>Authorization: Bearer {created.device.keyPrefix}…</Code> on every scan.
            </>
          }
          onDone={close}
          testIds={{ panel: 'device-key-panel', value: 'device-api-key', copy: 'copy-device-key', done: 'device-key-done' }}
        />
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
    </SecretOnceModal>
  );
}
