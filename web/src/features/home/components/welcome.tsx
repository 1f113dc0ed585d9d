import type { ReactNode } from 'react';
import { Paper, Stack, Text, Title } from '@mantine/core';

/** The heading every home page starts with. */
export function Welcome({ name, testId, children }: { name: string; testId: string; children: ReactNode }) {
  return (
    <Stack gap="md" data-testid={testId} maw={760}>
      <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
        Welcome, {name}
      </Title>
      <Paper withBorder p={{ base: 'md', sm: 'lg' }} radius="md">
        <Text>{children}</Text>
      </Paper>
    </Stack>
  );
}
