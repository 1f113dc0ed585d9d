import type { FormEvent } from 'react';
import { Alert, Button, Group, Paper, Stack, TextInput, Title } from '@mantine/core';
import type { User } from '../../../../../common/user.schemas.js';
import { blankToNull, useForm } from '../../../lib/form.js';
import { notifySuccess } from '../../../lib/notify.js';
import { updateProfileInputSchema, useUpdateProfile } from '../api/update-profile.js';

export function ProfileForm({ user }: { user: User }) {
  const update = useUpdateProfile();
  const form = useForm({ name: user.name, email: user.email ?? '', phone: user.phone ?? '' });

  function submit(event: FormEvent) {
    event.preventDefault();
    const input = form.validate(updateProfileInputSchema, {
      name: form.values.name,
      email: blankToNull(form.values.email),
      phone: blankToNull(form.values.phone),
    });
    if (!input) return;
    update.mutate(input, {
      onSuccess: (saved) => {
        form.reset({ name: saved.name, email: saved.email ?? '', phone: saved.phone ?? '' });
        notifySuccess('Your profile is saved.');
      },
      onError: (error) => form.applyError(error),
    });
  }

  return (
    <Paper withBorder p={{ base: 'md', sm: 'lg' }} radius="md">
      <form onSubmit={submit} noValidate data-testid="profile-form">
        <Stack gap="sm">
          <Title order={2} fz="h4">
            Your details
          </Title>
          {form.formError ? (
            <Alert color="red" title="Could not save your profile">
              {form.formError}
            </Alert>
          ) : null}
          <TextInput label="Name" autoComplete="name" required {...form.textProps('name')} />
          <TextInput label="Email" type="email" autoComplete="email" {...form.textProps('email')} />
          <TextInput label="Phone" type="tel" autoComplete="tel" {...form.textProps('phone')} />
          <Group justify="flex-end">
            <Button type="submit" loading={update.isPending} data-testid="profile-save">
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
