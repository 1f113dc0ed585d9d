import type { FormEvent } from 'react';
import { Alert, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { blankToUndefined, useForm } from '../../../lib/form.js';
import { setupInputSchema, useSetup } from '../api/setup.js';

/** Creates the first administrator with the one-time token printed by the server at first start. */
export function SetupForm({ token, onSuccess }: { token: string; onSuccess: () => void }) {
  const setup = useSetup();
  const form = useForm({ token, name: '', email: '', username: 'admin', password: '', confirm: '' });

  function submit(event: FormEvent) {
    event.preventDefault();
    const { confirm, email, ...rest } = form.values;
    const input = form.validate(setupInputSchema, { ...rest, email: blankToUndefined(email) });
    if (!input) return;
    if (confirm !== rest.password) {
      form.setErrors({ confirm: 'The passwords do not match' });
      return;
    }
    setup.mutate(input, { onSuccess, onError: (error) => form.applyError(error) });
  }

  return (
    <form onSubmit={submit} noValidate data-testid="setup-form">
      <Stack gap="sm">
        {form.formError ? (
          <Alert color="red" title="Setup failed">
            {form.formError}
          </Alert>
        ) : null}
        {token && !form.errors.token ? null : (
          <TextInput
            label="Setup token"
            description="From the link the server printed when it first started"
            required
            {...form.textProps('token')}
          />
        )}
        <TextInput label="Your name" autoComplete="name" required {...form.textProps('name')} />
        <TextInput label="Email" type="email" autoComplete="email" {...form.textProps('email')} />
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
        <Button type="submit" loading={setup.isPending} fullWidth mt="xs">
          Create administrator
        </Button>
      </Stack>
    </form>
  );
}
