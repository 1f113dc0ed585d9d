import { useEffect, type FormEvent } from 'react';
import { Alert, Button, Group, Modal, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { createSessionBody, sessionKindSchema, updateSessionBody, type Session } from '../../../../../common/session.schemas.js';
import { SESSION_KIND_OPTIONS, sessionLabel } from '../../../components/session-state-badge.js';
import { dayjs } from '../../../lib/dates.js';
import { blankToNull, useForm } from '../../../lib/form.js';
import { notifySuccess } from '../../../lib/notify.js';
import { useCreateSession, useUpdateSession } from '../api/sessions.js';

interface Values extends Record<string, string | boolean> {
  date: string;
  startTime: string;
  endTime: string;
  venue: string;
  title: string;
  kind: string;
}

function valuesOf(session: Session | null): Values {
  if (!session) return { date: dayjs().format('YYYY-MM-DD'), startTime: '09:00', endTime: '10:00', venue: '', title: '', kind: 'lecture' };
  const start = dayjs(session.startsAt);
  return {
    date: start.format('YYYY-MM-DD'),
    startTime: start.format('HH:mm'),
    endTime: dayjs(session.endsAt).format('HH:mm'),
    venue: session.venue ?? '',
    title: session.title ?? '',
    kind: session.kind,
  };
}

/** Date + wall-clock time on this device → an instant. */
const instant = (date: string, time: string) => {
  const d = dayjs(`${date}T${time}`);
  return d.isValid() ? d.toISOString() : '';
};

/** One session: add a new one, or edit a scheduled one (date, times, venue, title). */
export function SessionFormModal({
  courseId,
  session,
  opened,
  onClose,
}: {
  courseId: string;
  /** null adds a session. */
  session: Session | null;
  opened: boolean;
  onClose: () => void;
}) {
  const create = useCreateSession(courseId);
  const update = useUpdateSession();
  const form = useForm<Values>(valuesOf(session));
  const fullScreen = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
  const { reset } = form;

  useEffect(() => {
    if (opened) reset(valuesOf(session));
  }, [opened, session, reset]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const v = form.values;
    const startsAt = instant(v.date, v.startTime);
    const endsAt = instant(v.date, v.endTime);
    if (startsAt && endsAt && endsAt <= startsAt) {
      form.setErrors({ endTime: 'Must be after the start time' });
      return;
    }
    const kind = sessionKindSchema.catch('lecture').parse(v.kind);
    const body = { startsAt, endsAt, venue: blankToNull(v.venue), title: blankToNull(v.title), kind };
    const done = {
      onSuccess: () => {
        notifySuccess(session ? 'The session is saved.' : 'The session is added.');
        onClose();
      },
      onError: (error: unknown) => form.applyError(error),
    };
    // The schema speaks of startsAt/endsAt; the fields are a date and two times.
    const missing = () => {
      if (!v.date) form.setErrors((e) => ({ ...e, date: 'Required' }));
    };
    if (session) {
      const input = form.validate(updateSessionBody, body);
      if (!input) return missing();
      update.mutate({ id: session.id, input }, done);
    } else {
      const input = form.validate(createSessionBody, body);
      if (!input) return missing();
      create.mutate(input, done);
    }
  }

  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={session ? `Edit ${sessionLabel({ ...session, title: null })}` : 'Add one session'}
      fullScreen={fullScreen}
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <form onSubmit={submit} noValidate data-testid="session-form">
        <Stack gap="sm">
          {form.formError ? (
            <Alert color="red" title="Could not save the session" data-testid="session-form-error">
              {form.formError}
            </Alert>
          ) : null}
          <TextInput type="date" label="Date" required {...form.textProps('date')} data-testid="session-date" />
          <SimpleGrid cols={2} spacing="sm">
            <TextInput type="time" label="Starts" required {...form.textProps('startTime')} data-testid="session-start" />
            <TextInput type="time" label="Ends" required {...form.textProps('endTime')} data-testid="session-end" />
          </SimpleGrid>
          <Text size="xs" c="dimmed">
            Times are in this device's time zone. Sessions are renumbered in start order.
          </Text>
          <Select
            label="Kind"
            description="Each kind is numbered on its own: Lecture 3, Lab 2."
            data={SESSION_KIND_OPTIONS}
            value={form.values.kind}
            onChange={(value) => form.setValue('kind', value ?? 'lecture')}
            allowDeselect={false}
            data-testid="session-kind"
          />
          <TextInput label="Venue" placeholder="e.g. Room 101" {...form.textProps('venue')} />
          <TextInput label="Title" placeholder="Optional, shown after “Lecture N”" {...form.textProps('title')} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending || update.isPending} data-testid="session-form-submit">
              {session ? 'Save' : 'Add session'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
