import { useDocumentTitle } from '@mantine/hooks';
import { AuthLayout } from '../../components/layouts/auth-layout.js';
import { ForgotPasswordForm } from '../../features/auth/components/forgot-password-form.js';

export function ForgotPasswordRoute() {
  useDocumentTitle('Forgot password · Rollbook');
  return (
    <AuthLayout title="Forgot your password?" subtitle="We mail you a link to choose a new one.">
      <ForgotPasswordForm />
    </AuthLayout>
  );
}
