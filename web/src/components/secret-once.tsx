import type { ReactNode } from 'react';
import { ActionIcon, Alert, Button, Code, CopyButton, Group, Modal, Stack, Text, Tooltip } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';

interface SecretOnceProps {
  /** The warning's title, e.g. "Copy the key now: it is shown only this once". */
  title: string;
  /** Why it matters and what to do if it is lost. */
  warning: ReactNode;
  /** The label above the value, e.g. "API key for Gate kiosk". */
  label: ReactNode;
  value: string;
  /** What is copied, for the button: "key", "secret". */
  noun: string;
  /** A line under the value (how it is used). */
  hint?: ReactNode;
  onDone: () => void;
  testIds: { panel: string; value: string; copy: string; done: string };
}

/**
 * A credential the server shows exactly once (a device's API key, a webhook's signing secret): the
 * warning, the value with a copy button, and the button that closes it once the user has copied it.
 */
export function SecretOnce({ title, warning, label, value, noun, hint, onDone, testIds }: SecretOnceProps) {
  const copyLabel = `Copy the ${noun}`;
  return (
    <Stack gap="md" data-testid={testIds.panel}>
      <Alert color="orange" icon={<IconAlertTriangle size={18} />} title={title}>
        {warning}
      </Alert>
      <Stack gap={4}>
        <Text size="sm" fw={500}>
          {label}
        </Text>
        <Group gap="xs" wrap="nowrap" align="center">
          <Code block style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} data-testid={testIds.value}>
            {value}
          </Code>
          <CopyButton value={value} timeout={2500}>
            {({ copied, copy }) => (
              <Tooltip label={copied ? 'Copied' : copyLabel} withArrow>
                <ActionIcon
                  size="lg"
                  variant={copied ? 'filled' : 'light'}
                  color={copied ? 'teal' : 'blue'}
                  onClick={copy}
                  aria-label={copied ? 'Copied' : copyLabel}
                  data-testid={testIds.copy}
                >
                  {copied ? <IconCheck size={18} /> : <IconCopy size={18} />}
                </ActionIcon>
              </Tooltip>
            )}
          </CopyButton>
        </Group>
        {hint ? (
          <Text size="xs" c="dimmed">
            {hint}
          </Text>
        ) : null}
      </Stack>
      <Group justify="flex-end">
        <Button onClick={onDone} data-testid={testIds.done}>
          I have copied the {noun}
        </Button>
      </Group>
    </Stack>
  );
}

/**
 * The dialog around a "create, then show its secret once" flow: full screen on a phone, and while the
 * secret is shown (`showingSecret`) a stray click outside or Escape cannot close it and lose the secret.
 */
export function SecretOnceModal({
  opened,
  onClose,
  title,
  showingSecret,
  testId,
  children,
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  showingSecret: boolean;
  testId: string;
  children: ReactNode;
}) {
  const fullScreen = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={title}
      size="lg"
      fullScreen={fullScreen}
      closeOnClickOutside={!showingSecret}
      closeOnEscape={!showingSecret}
      closeButtonProps={{ 'aria-label': 'Close' }}
      data-testid={testId}
    >
      {children}
    </Modal>
  );
}
