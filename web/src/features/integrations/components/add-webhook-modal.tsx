import { useEffect, useState, type FormEvent } from 'react';
import { Alert, Button, Group, MultiSelect, Stack, Switch, TextInput, Textarea } from '@mantine/core';
import { LIMITS } from '../../../../../common/limits.js';
import { WEBHOOK_EVENT_TYPES, type Webhook } from '../../../../../common/webhook.schemas.js';
import { SecretOnce, SecretOnceModal } from '../../../components/secret-once.js';
import { blankToUndefined, useForm } from '../../../lib/form.js';
import { createWebhookInputSchema, useCreateWebhook } from '../api/create-webhook.js';

interface Values extends Record<string, string | boolean> {
  url: string;
  description: string;
  allEvents: boolean;
}

const EMPTY: Values = { url: '', description: '', allEvents: true };
// `ping` is never subscribed to: "Send test" addresses one endpoint directly.
const SUBSCRIBABLE = WEBHOOK_EVENT_TYPES.filter((t) => t !== 'ping');

/** Add an endpoint: URL, which events, a description; then its secret shown once. */
export function AddWebhookModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const create = useCreateWebhook();
  const form = useForm<Values>(EMPTY);
  const [events, setEvents] = useState<string[]>([]);
  const [eventsError, setEventsError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ webhook: Webhook; secret: string } | null>(null);
  const { reset } = form;
  const resetMutation = create.reset;

  useEffect(() => {
    if (opened) {
      reset(EMPTY);
      resetMutation();
      setEvents([]);
      setEventsError(null);
      setCreated(null);
    }
  }, [opened, reset, resetMutation]);

  // Forget the secret as soon as the dialog closes.
  const close = () => {
    setCreated(null);
    onClose();
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!form.values.allEvents && events.length === 0) {
      setEventsError('Choose at least one event, or send all events');
      return;
    }
    setEventsError(null);
    const input = form.validate(createWebhookInputSchema, {
      url: form.values.url.trim(),
      events: form.values.allEvents ? ['*'] : events,
      description: blankToUndefined(form.values.description),
    });
    if (!input) return;
    create.mutate(input, { onSuccess: (result) => setCreated(result), onError: (error) => form.applyError(error) });
  }

  return (
    <SecretOnceModal
      opened={opened}
      onClose={close}
      title={created ? 'Endpoint added' : 'Add a webhook endpoint'}
      showingSecret={created !== null}
      testId="add-webhook-modal"
    >
      {created ? (
        <SecretOnce
          title="Copy the signing secret now: it is shown only this once"
          warning="The receiving system needs it to check that each request really comes from Rollbook (see “Verifying a signature” in the integrations guide). If it is lost, remove this endpoint and add it again."
          label={`Signing secret for ${created.webhook.url}`}
          value={created.secret}
          noun="secret"
          onDone={close}
          testIds={{ panel: 'webhook-secret-panel', value: 'webhook-secret', copy: 'copy-webhook-secret', done: 'webhook-secret-done' }}
        />
      ) : (
        <form onSubmit={submit} noValidate data-testid="add-webhook-form">
          <Stack gap="sm">
            <TextInput
              label="URL"
              description="Rollbook POSTs each event here (http or https, no user name or password in it)."
              placeholder="https://portal.example.edu/rollbook-hook"
              required
              data-autofocus
              data-testid="webhook-url"
              {...form.textProps('url')}
            />
            <Switch label="Send every event" data-testid="webhook-all-events" {...form.checkProps('allEvents')} />
            {form.values.allEvents ? null : (
              <MultiSelect
                label="Events"
                placeholder="Choose events"
                data={SUBSCRIBABLE.map((t) => ({ value: t, label: t }))}
                value={events}
                onChange={setEvents}
                error={eventsError ?? form.errors.events}
                searchable
                data-testid="webhook-events"
              />
            )}
            <Textarea
              label="Description"
              placeholder="Student portal (attendance sync)"
              autosize
              minRows={2}
              maxLength={LIMITS.textMax}
              data-testid="webhook-description"
              {...form.textProps('description')}
            />
            {form.formError ? (
              <Alert color="red" title="Not added" data-testid="add-webhook-error">
                {form.formError}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending} data-testid="add-webhook-submit">
                Add endpoint
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </SecretOnceModal>
  );
}
