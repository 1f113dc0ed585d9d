import { useNavigate, useSearchParams } from 'react-router';
import { AuthLayout } from '../../components/layouts/auth-layout.js';
import { LoginForm } from '../../features/auth/components/login-form.js';
import { safeRedirect } from '../../lib/auth.js';

export function LoginRoute() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  return (
    <AuthLayout title="Sign in" subtitle="Use the account your school gave you.">
      <LoginForm onSuccess={() => navigate(safeRedirect(params.get('redirectTo')), { replace: true })} />
    </AuthLayout>
  );
}
