import { useEffect, useState, type FormEvent } from 'react';
import { ActionIcon, Alert, Button, Code, CopyButton, Group, Modal, MultiSelect, Stack, Switch, Text, TextInput, Textarea, Tooltip } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';
import { LIMITS } from '../../../../../common/limits.js';
import { WEBHOOK_EVENT_TYPES, type Webhook } from '../../../../../common/webhook.schemas.js';
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

/** The new secret, with a copy button and the warning that it is shown this once. */
function SecretOnce({ webhook, secret, onDone }: { webhook: Webhook; secret: string; onDone: () => void }) {
  return (
    <Stack gap="md" data-testid="webhook-secret-panel">
      <Alert color="orange" icon={<IconAlertTriangle size={18} />} title="Copy the signing secret now: it is shown only this once">
        The receiving system needs it to check that each request really comes from Rollbook (see “Verifying a signature” in the
        integrations guide). If it is lost, remove this endpoint and add it again.
      </Alert>
      <Stack gap={4}>
        <Text size="sm" fw={500}>
          Signing secret for {webhook.url}
        </Text>
        <Group gap="xs" wrap="nowrap" align="center">
          <Code block style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} data-testid="webhook-secret">
            {secret}
          </Code>
          <CopyButton value={secret} timeout={2500}>
            {({ copied, copy }) => (
              <Tooltip label={copied ? 'Copied' : 'Copy the secret'} withArrow>
                <ActionIcon
                  size="lg"
                  variant={copied ? 'filled' : 'light'}
                  color={copied ? 'teal' : 'blue'}
                  onClick={copy}
                  aria-label={copied ? 'Copied' : 'Copy the secret'}
                  data-testid="copy-webhook-secret"
                >
                  {copied ? <IconCheck size={18} /> : <IconCopy size={18} />}
                </ActionIcon>
              </Tooltip>
            )}
          </CopyButton>
        </Group>
      </Stack>
      <Group justify="flex-end">
        <Button onClick={onDone} data-testid="webhook-secret-done">
          I have copied the secret
        </Button>
      </Group>
    </Stack>
  );
}

/** Add an endpoint: URL, which events, a description; then its secret shown once. */
export function AddWebhookModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const create = useCreateWebhook();
  const form = useForm<Values>(EMPTY);
  const [events, setEvents] = useState<string[]>([]);
  const [eventsError, setEventsError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ webhook: Webhook; secret: string } | null>(null);
  const fullScreen = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
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
    <Modal
      opened={opened}
      onClose={close}
      title={created ? 'Endpoint added' : 'Add a webhook endpoint'}
      size="lg"
      fullScreen={fullScreen}
      closeOnClickOutside={!created}
      closeOnEscape={!created}
      closeButtonProps={{ 'aria-label': 'Close' }}
      data-testid="add-webhook-modal"
    >
      {created ? (
        <SecretOnce webhook={created.webhook} secret={created.secret} onDone={close} />
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
    </Modal>
  );
}
