import type { FormEvent } from 'react';
import { Link } from 'react-router';
import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { ApiError } from '../../../lib/api-client.js';
import { useForm } from '../../../lib/form.js';
import { useStatus } from '../api/get-status.js';
import { loginInputSchema, useLogin } from '../api/login.js';

/** A heading for the sign-in error, unless the message already says the same thing. */
function loginErrorTitle(error: unknown, message: string): string | undefined {
  let title = 'Could not sign in';
  if (error instanceof ApiError) {
    if (error.code === 'invalid_credentials') title = 'Wrong username or password';
    else if (error.status === 429) title = 'Too many attempts';
  }
  return message.toLowerCase().startsWith(title.toLowerCase()) ? undefined : title;
}

export function LoginForm({ onSuccess }: { onSuccess: () => void }) {
  const login = useLogin();
  const status = useStatus();
  const form = useForm({ username: '', password: '' });

  function submit(event: FormEvent) {
    event.preventDefault();
    const input = form.validate(loginInputSchema, form.values);
    if (!input) return;
    login.mutate(input, {
      onSuccess,
      onError: (error) => form.applyError(error),
    });
  }

  return (
    <form onSubmit={submit} noValidate data-testid="login-form" data-signup={status.data?.signup ?? 'unknown'}>
      <Stack gap="sm">
        {form.formError ? (
          <Alert color="red" icon={<IconAlertCircle size={18} />} title={loginErrorTitle(login.error, form.formError)} data-testid="login-error">
            {form.formError}
          </Alert>
        ) : null}
        <TextInput
          label="Username or email"
          autoComplete="username"
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          required
          data-autofocus
          {...form.textProps('username')}
        />
        <PasswordInput label="Password" autoComplete="current-password" required {...form.textProps('password')} />
        <Anchor component={Link} to="/forgot-password" size="sm" ta="right" data-testid="forgot-link">
          Forgot password?
        </Anchor>
        <Button type="submit" loading={login.isPending} fullWidth mt="xs" data-testid="login-submit">
          Sign in
        </Button>
        {status.data?.signup === 'students' ? (
          <Text size="sm" ta="center">
            New student?{' '}
            <Anchor component={Link} to="/signup" data-testid="signup-link">
              Create student account
            </Anchor>
          </Text>
        ) : null}
      </Stack>
    </form>
  );
}
