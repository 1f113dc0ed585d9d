import { Alert, Button, Stack, Text } from '@mantine/core';
import { errorMessage } from '../lib/notify.js';

/** A failed load: what went wrong, in the server's words, and a way to try again. */
export function QueryError({ title, error, onRetry, testId }: { title: string; error: unknown; onRetry?: () => void; testId?: string }) {
  return (
    <Alert color="red" title={title} data-testid={testId}>
      <Stack gap="xs" align="flex-start">
        <Text size="sm">{errorMessage(error)}</Text>
        {onRetry ? (
          <Button size="xs" variant="light" color="red" onClick={onRetry}>
            Try again
          </Button>
        ) : null}
      </Stack>
    </Alert>
  );
}
