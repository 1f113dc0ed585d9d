import { isRouteErrorResponse, useRouteError } from 'react-router';
import { Alert, Button, Center, Stack } from '@mantine/core';
import { errorMessage } from '../../lib/notify.js';

/** Shown when a page fails to render or its code fails to load (e.g. after a deploy). */
export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : errorMessage(error);
  return (
    <Center mih="60dvh" p="md">
      <Stack maw={480} w="100%">
        <Alert color="red" title="This page could not be shown" data-testid="route-error">
          {message}
        </Alert>
        <Button onClick={() => window.location.reload()}>Reload</Button>
      </Stack>
    </Center>
  );
}
