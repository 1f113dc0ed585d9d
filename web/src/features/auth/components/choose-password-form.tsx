import type { FormEvent } from 'react';
import { Link } from 'react-router';
import { Alert, Anchor, Button, PasswordInput, Stack } from '@mantine/core';
import { IconCircleCheck } from '@tabler/icons-react';
import { useForm } from '../../../lib/form.js';
import { resetInputSchema, useChoosePassword } from '../api/password-reset.js';

/** Sets a password with the token of an invitation or reset link. */
export function ChoosePasswordForm({ token }: { token: string }) {
  const choose = useChoosePassword();
  const form = useForm({ newPassword: '', confirm: '' });

  function submit(event: FormEvent) {
    event.preventDefault();
    const input = form.validate(resetInputSchema, { token, newPassword: form.values.newPassword });
    if (!input) return;
    if (form.values.confirm !== form.values.newPassword) {
      form.setErrors({ confirm: 'The passwords do not match' });
      return;
    }
    choose.mutate(input, { onError: (error) => form.applyError(error) });
  }

  if (choose.isSuccess) {
    return (
      <Stack gap="sm" data-testid="password-chosen">
        <Alert color="teal" icon={<IconCircleCheck size={18} />} title="Password saved">
          Sign in with your new password. Any device that was signed in has to sign in again.
        </Alert>
        <Button component={Link} to="/login" fullWidth>
          Sign in
        </Button>
      </Stack>
    );
  }
  return (
    <form onSubmit={submit} noValidate data-testid="choose-password-form">
      <Stack gap="sm">
        {form.formError ? (
          <Alert color="red" title="Could not save the password" data-testid="choose-password-error">
            {form.formError}{' '}
            <Anchor component={Link} to="/forgot-password">
              Ask for a new link
            </Anchor>
          </Alert>
        ) : null}
        <PasswordInput label="New password" description="At least 8 characters" autoComplete="new-password" required data-autofocus {...form.textProps('newPassword')} />
        <PasswordInput label="Repeat password" autoComplete="new-password" required {...form.textProps('confirm')} />
        <Button type="submit" loading={choose.isPending} fullWidth mt="xs" data-testid="choose-password-submit">
          Save password
        </Button>
      </Stack>
    </form>
  );
}
