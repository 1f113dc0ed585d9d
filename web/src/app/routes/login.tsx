import { useNavigate, useSearchParams } from 'react-router';
import { useDocumentTitle } from '@mantine/hooks';
import { AuthLayout } from '../../components/layouts/auth-layout.js';
import { LoginForm } from '../../features/auth/components/login-form.js';
import { safeRedirect } from '../../lib/auth.js';

export function LoginRoute() {
  useDocumentTitle('Sign in · Rollbook');
  const navigate = useNavigate();
  const [params] = useSearchParams();
  return (
    <AuthLayout title="Sign in" subtitle="Use the account your school gave you.">
      <LoginForm onSuccess={() => navigate(safeRedirect(params.get('redirectTo')), { replace: true })} />
    </AuthLayout>
  );
}
