import type { FormEvent } from 'react';
import { Link } from 'react-router';
import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { IconMailCheck } from '@tabler/icons-react';
import { useForm } from '../../../lib/form.js';
import { forgotInputSchema, useRequestPasswordReset } from '../api/password-reset.js';

/** Asks for a reset link. The answer is the same whether or not the account exists. */
export function ForgotPasswordForm() {
  const request = useRequestPasswordReset();
  const form = useForm({ username: '' });

  function submit(event: FormEvent) {
    event.preventDefault();
    const input = form.validate(forgotInputSchema, form.values);
    if (!input) return;
    request.mutate(input, { onError: (error) => form.applyError(error) });
  }

  if (request.isSuccess) {
    return (
      <Stack gap="sm" data-testid="forgot-sent">
        <Alert color="teal" icon={<IconMailCheck size={18} />} title="Check your mail">
          If an account with an email address matches, a link to choose a new password is on its way. It works once, for one hour.
          No email on your account? Ask your administrator for an invitation link.
        </Alert>
        <Anchor component={Link} to="/login" ta="center" size="sm">
          Back to sign in
        </Anchor>
      </Stack>
    );
  }
  return (
    <form onSubmit={submit} noValidate data-testid="forgot-form">
      <Stack gap="sm">
        {form.formError ? (
          <Alert color="red" title="Could not send the link">
            {form.formError}
          </Alert>
        ) : null}
        <TextInput label="Username or email" autoComplete="username" autoCapitalize="none" spellCheck={false} required data-autofocus {...form.textProps('username')} />
        <Button type="submit" loading={request.isPending} fullWidth mt="xs" data-testid="forgot-submit">
          Send me a link
        </Button>
        <Text size="sm" ta="center">
          <Anchor component={Link} to="/login">
            Back to sign in
          </Anchor>
        </Text>
      </Stack>
    </form>
  );
}
