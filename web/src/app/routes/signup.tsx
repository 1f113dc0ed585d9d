import { Navigate, useNavigate } from 'react-router';
import { Center, Loader } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { AuthLayout } from '../../components/layouts/auth-layout.js';
import { useStatus } from '../../features/auth/api/get-status.js';
import { SignupForm } from '../../features/auth/components/signup-form.js';

export function SignupRoute() {
  useDocumentTitle('Create account · Rollbook');
  const navigate = useNavigate();
  const status = useStatus();
  if (status.isPending) {
    return (
      <Center h="100dvh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  // Sign-up is open only when the server says so; otherwise this page has nothing to offer.
  if (status.data?.signup !== 'students') return <Navigate to="/login" replace />;
  return (
    <AuthLayout title="Create student account" subtitle="Your student number links you to your courses.">
      <SignupForm onSuccess={() => navigate('/', { replace: true })} />
    </AuthLayout>
  );
}
