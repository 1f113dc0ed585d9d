import { Link } from 'react-router';
import { Button, Center, Stack, Text, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';

export function NotFoundRoute() {
  useDocumentTitle('Not found · Rollbook');
  return (
    <Center mih="70dvh" p="md">
      <Stack align="center" gap="sm" data-testid="not-found">
        <Text fz={64} fw={800} c="dimmed" lh={1}>
          404
        </Text>
        <Title order={2}>Page not found</Title>
        <Text c="dimmed" ta="center">
          There is no page at this address. It may have moved, or the link may be mistyped.
        </Text>
        <Button component={Link} to="/">
          Go to the home page
        </Button>
      </Stack>
    </Center>
  );
}
