import type { FormEvent } from 'react';
import { Alert, Button, Group, Paper, PasswordInput, Stack, Title } from '@mantine/core';
import { ApiError } from '../../../lib/api-client.js';
import { useForm } from '../../../lib/form.js';
import { notifySuccess } from '../../../lib/notify.js';
import { changePasswordInputSchema, useChangePassword } from '../api/change-password.js';

export function PasswordForm() {
  const change = useChangePassword();
  const form = useForm({ currentPassword: '', newPassword: '', confirm: '' });

  function submit(event: FormEvent) {
    event.preventDefault();
    const { confirm, ...rest } = form.values;
    const input = form.validate(changePasswordInputSchema, rest);
    if (!input) return;
    if (confirm !== rest.newPassword) {
      form.setErrors({ confirm: 'The passwords do not match' });
      return;
    }
    change.mutate(input, {
      onSuccess: () => {
        form.reset();
        notifySuccess('Your password is changed.');
      },
      onError: (error) => {
        // A wrong current password comes back without a field path; it belongs on that field.
        if (error instanceof ApiError && error.code === 'invalid_credentials' && error.errors.length === 0) {
          form.setErrors({ currentPassword: error.detail ?? 'The current password is wrong' });
          return;
        }
        form.applyError(error);
      },
    });
  }

  return (
    <Paper withBorder p={{ base: 'md', sm: 'lg' }} radius="md">
      <form onSubmit={submit} noValidate data-testid="password-form">
        <Stack gap="sm">
          <Title order={2} fz="h4">
            Change password
          </Title>
          {form.formError ? (
            <Alert color="red" title="Could not change the password">
              {form.formError}
            </Alert>
          ) : null}
          <PasswordInput label="Current password" autoComplete="current-password" required {...form.textProps('currentPassword')} />
          <PasswordInput
            label="New password"
            description="At least 8 characters"
            autoComplete="new-password"
            required
            {...form.textProps('newPassword')}
          />
          <PasswordInput label="Repeat new password" autoComplete="new-password" required {...form.textProps('confirm')} />
          <Group justify="flex-end">
            <Button type="submit" loading={change.isPending} data-testid="password-save">
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
