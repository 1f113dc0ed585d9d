import { useEffect, type FormEvent } from 'react';
import { Alert, Button, Group, Modal, NativeSelect, PasswordInput, Select, SimpleGrid, Stack, Switch, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { sectionOptionsQuery } from '../../../lib/queries/sections.js';
import { useMediaQuery } from '@mantine/hooks';
import type { AccountLink } from '../../../../../common/account.schemas.js';
import type { Role, UpdateUserInput, User } from '../../../../../common/user.schemas.js';
import { blankToNull, blankToUndefined, useForm } from '../../../lib/form.js';
import { notifySuccess } from '../../../lib/notify.js';
import { createUserInputSchema, useCreateUser } from '../api/create-user.js';
import { updateUserInputSchema, useUpdateUser } from '../api/update-user.js';

interface Values extends Record<string, string | boolean> {
  role: Role;
  username: string;
  name: string;
  email: string;
  phone: string;
  password: string;
  studentNumber: string;
  staffNumber: string;
  sectionId: string;
  guardianEmail: string;
  active: boolean;
}

const EMPTY: Values = {
  role: 'student',
  username: '',
  name: '',
  email: '',
  phone: '',
  password: '',
  studentNumber: '',
  staffNumber: '',
  sectionId: '',
  guardianEmail: '',
  active: true,
};

function valuesOf(user: User | null): Values {
  if (!user) return EMPTY;
  return {
    role: user.role,
    username: user.username,
    name: user.name,
    email: user.email ?? '',
    phone: user.phone ?? '',
    password: '',
    studentNumber: user.studentNumber ?? '',
    staffNumber: user.staffNumber ?? '',
    sectionId: user.sectionId ?? '',
    guardianEmail: user.guardianEmail ?? '',
    active: user.active,
  };
}

/** Only what changed, so an edit never rewrites a field the admin did not touch. */
function changes(user: User, v: Values): UpdateUserInput {
  const out: UpdateUserInput = {};
  if (v.role !== user.role) out.role = v.role;
  if (v.username.trim() !== user.username) out.username = v.username.trim();
  if (v.name.trim() !== user.name) out.name = v.name.trim();
  if (blankToNull(v.email) !== user.email) out.email = blankToNull(v.email);
  if (blankToNull(v.phone) !== user.phone) out.phone = blankToNull(v.phone);
  if (v.password) out.password = v.password;
  if (v.role === 'student' && blankToNull(v.studentNumber) !== user.studentNumber) out.studentNumber = blankToNull(v.studentNumber);
  if (v.role === 'teacher' && blankToNull(v.staffNumber) !== user.staffNumber) out.staffNumber = blankToNull(v.staffNumber);
  if (v.role === 'student' && blankToNull(v.sectionId) !== user.sectionId) out.sectionId = blankToNull(v.sectionId);
  if (v.role === 'student' && blankToNull(v.guardianEmail) !== user.guardianEmail) out.guardianEmail = blankToNull(v.guardianEmail);
  if (v.active !== user.active) out.active = v.active;
  return out;
}

interface UserFormModalProps {
  opened: boolean;
  onClose: () => void;
  /** The user to edit; null creates a new one. */
  user: User | null;
  /** A user created without a password: show the admin their invitation link. */
  onInvitation?: (user: User, link: AccountLink) => void;
}

/** Create or edit one user. Field errors from the server (taken username, bad email…) land on their fields. */
export function UserFormModal({ opened, onClose, user, onInvitation }: UserFormModalProps) {
  const create = useCreateUser();
  const update = useUpdateUser();
  const form = useForm<Values>(valuesOf(user));
  const sections = useQuery(sectionOptionsQuery());
  const fullScreen = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
  const editing = user !== null;
  const { reset } = form;

  useEffect(() => {
    if (opened) reset(valuesOf(user));
  }, [opened, user, reset]);

  const v = form.values;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (user) saveChanges(user);
    else createNew();
  }

  // The shared schema allows a missing number (admins, teachers); the server requires it for students.
  function checkStudentNumber(): boolean {
    if (v.role !== 'student' || v.studentNumber.trim() !== '') return true;
    form.setErrors((e) => ({ ...e, studentNumber: 'Required for students' }));
    return false;
  }

  function saveChanges(current: User) {
    const input = form.validate(updateUserInputSchema, changes(current, v));
    if (!checkStudentNumber() || !input) return;
    if (Object.keys(input).length === 0) {
      onClose();
      return;
    }
    update.mutate(
      { id: current.id, input },
      {
        onSuccess: (saved) => {
          notifySuccess(`${saved.name} is saved.`);
          onClose();
        },
        onError: (error) => form.applyError(error),
      },
    );
  }

  function createNew() {
    const input = form.validate(createUserInputSchema, {
      role: v.role,
      username: v.username,
      name: v.name,
      email: blankToUndefined(v.email),
      phone: blankToUndefined(v.phone),
      password: v.password === '' ? undefined : v.password,
      studentNumber: v.role === 'student' ? blankToUndefined(v.studentNumber) : undefined,
      staffNumber: v.role === 'teacher' ? blankToUndefined(v.staffNumber) : undefined,
      sectionId: v.role === 'student' ? blankToNull(v.sectionId) : undefined,
      guardianEmail: v.role === 'student' ? blankToUndefined(v.guardianEmail) : undefined,
    });
    if (!checkStudentNumber() || !input) return;
    create.mutate(input, {
      onSuccess: (saved) => {
        notifySuccess(`${saved.name} (${saved.username}) is created.`, 'User created');
        onClose();
        if (saved.invitation) onInvitation?.(saved, saved.invitation);
      },
      onError: (error) => form.applyError(error),
    });
  }

  const pending = create.isPending || update.isPending;

  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={editing ? `Edit ${user.name}` : 'New user'}
      size="lg"
      fullScreen={fullScreen}
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <form onSubmit={submit} noValidate data-testid="user-form">
        <Stack gap="sm">
          {form.formError ? (
            <Alert color="red" title={editing ? 'Could not save the user' : 'Could not create the user'} data-testid="user-form-error">
              {form.formError}
            </Alert>
          ) : null}
          <NativeSelect
            label="Role"
            data={[
              { label: 'Student', value: 'student' },
              { label: 'Teacher', value: 'teacher' },
              { label: 'Administrator', value: 'admin' },
            ]}
            {...form.textProps('role')}
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label="Name" required autoComplete="off" {...form.textProps('name')} />
            <TextInput
              label="Username"
              required
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              {...form.textProps('username')}
            />
            <TextInput label="Email" type="email" autoComplete="off" {...form.textProps('email')} />
            <TextInput label="Phone" type="tel" autoComplete="off" {...form.textProps('phone')} />
            {v.role === 'student' ? (
              <TextInput label="Student number" required autoComplete="off" {...form.textProps('studentNumber')} />
            ) : null}
            {v.role === 'student' ? (
              <Select
                label="Section"
                description="The class group; courses can enroll a whole section."
                placeholder="None"
                clearable
                searchable
                data={sections.data ?? []}
                value={v.sectionId || null}
                onChange={(value) => form.setValue('sectionId', value ?? '')}
                data-testid="user-section"
              />
            ) : null}
            {v.role === 'student' ? (
              <TextInput
                label="Guardian email"
                description="Mailed when the student gets an attendance warning"
                type="email"
                autoComplete="off"
                data-testid="user-guardian-email"
                {...form.textProps('guardianEmail')}
              />
            ) : null}
            {v.role === 'teacher' ? <TextInput label="Staff number" autoComplete="off" {...form.textProps('staffNumber')} /> : null}
            <PasswordInput
              label={editing ? 'New password' : 'Password'}
              description={editing ? 'Leave empty to keep the current one' : 'At least 8 characters'}
              autoComplete="new-password"
              {...form.textProps('password')}
            />
          </SimpleGrid>
          {editing ? (
            <Switch
              label="Active (can sign in)"
              {...form.checkProps('active')}
              data-testid="user-active"
            />
          ) : null}
          <Group justify="flex-end" mt="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={pending} data-testid="user-form-submit">
              {editing ? 'Save' : 'Create user'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
