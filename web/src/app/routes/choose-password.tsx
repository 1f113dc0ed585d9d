import { Link, useSearchParams } from 'react-router';
import { Alert, Anchor } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { AuthLayout } from '../../components/layouts/auth-layout.js';
import { ChoosePasswordForm } from '../../features/auth/components/choose-password-form.js';

/** Where invitation and reset links lead: `/choose-password?token=…`. */
export function ChoosePasswordRoute() {
  useDocumentTitle('Choose a password · Rollbook');
  const token = useSearchParams()[0].get('token');
  return (
    <AuthLayout title="Choose your password" subtitle="The link works once.">
      {token ? (
        <ChoosePasswordForm token={token} />
      ) : (
        <Alert color="red" title="This link is incomplete">
          Open the link from your mail or your administrator exactly as it is, or{' '}
          <Anchor component={Link} to="/forgot-password">
            ask for a new one
          </Anchor>
          .
        </Alert>
      )}
    </AuthLayout>
  );
}
