import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { Alert, Button, Center, Loader, Stack } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { AuthLayout } from '../../components/layouts/auth-layout.js';
import { useSetupStatus } from '../../features/auth/api/setup.js';
import { SetupForm } from '../../features/auth/components/setup-form.js';
import { errorMessage } from '../../lib/notify.js';

export function SetupRoute() {
  useDocumentTitle('Set up · Rollbook');
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const status = useSetupStatus();

  if (status.isPending) {
    return (
      <Center h="100dvh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (status.isError) {
    return (
      <AuthLayout title="Set up Rollbook">
        <Stack>
          <Alert color="red" title="Could not check the setup state">
            {errorMessage(status.error)}
          </Alert>
          <Button onClick={() => void status.refetch()}>Try again</Button>
        </Stack>
      </AuthLayout>
    );
  }
  if (!status.data.needed) return <Navigate to="/login" replace />;
  return (
    <AuthLayout title="Set up Rollbook" subtitle="Create the first administrator account.">
      <SetupForm token={params.get('token') ?? ''} onSuccess={() => navigate('/', { replace: true })} />
    </AuthLayout>
  );
}
