import type { FormEvent } from 'react';
import { Link } from 'react-router';
import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '../../../lib/form.js';
import { signupInputSchema, useSignup } from '../api/signup.js';

export function SignupForm({ onSuccess }: { onSuccess: () => void }) {
  const signup = useSignup();
  const form = useForm({ name: '', email: '', studentNumber: '', username: '', password: '', confirm: '' });

  function submit(event: FormEvent) {
    event.preventDefault();
    const { confirm, ...rest } = form.values;
    const input = form.validate(signupInputSchema, rest);
    if (!input) return;
    if (confirm !== rest.password) {
      form.setErrors({ confirm: 'The passwords do not match' });
      return;
    }
    signup.mutate(input, { onSuccess, onError: (error) => form.applyError(error) });
  }

  return (
    <form onSubmit={submit} noValidate data-testid="signup-form">
      <Stack gap="sm">
        {form.formError ? (
          <Alert color="red" title="Could not create the account">
            {form.formError}
          </Alert>
        ) : null}
        <TextInput label="Full name" autoComplete="name" required {...form.textProps('name')} />
        <TextInput label="Email" type="email" autoComplete="email" required {...form.textProps('email')} />
        <TextInput label="Student number" required {...form.textProps('studentNumber')} />
        <TextInput
          label="Username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          {...form.textProps('username')}
        />
        <PasswordInput
          label="Password"
          description="At least 8 characters"
          autoComplete="new-password"
          required
          {...form.textProps('password')}
        />
        <PasswordInput label="Repeat password" autoComplete="new-password" required {...form.textProps('confirm')} />
        <Button type="submit" loading={signup.isPending} fullWidth mt="xs">
          Create account
        </Button>
        <Text size="sm" ta="center">
          Already have an account?{' '}
          <Anchor component={Link} to="/login">
            Sign in
          </Anchor>
        </Text>
      </Stack>
    </form>
  );
}
