import { useCallback, type ReactNode } from 'react';
import { Navigate, useLocation, useNavigate, useSearchParams } from 'react-router';
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { Alert, Button, Center, Stack } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import type { Role, User } from '../../../common/user.schemas.js';
import { api, ApiError, hasSession } from './api-client.js';
import { errorMessage } from './notify.js';
import { LoadingShell } from '../components/loading-shell.js';

export const meQueryKey = ['auth', 'me'] as const;

// Set by a deliberate sign-out so the page being left does not ask to be returned to after the
// next sign-in (which may be someone else's); an expired session does ask.
let signedOutOnPurpose = false;

/** The signed-in user, or null when nobody is (the access cookie is renewed on the way if needed). */
export async function getMe(): Promise<User | null> {
  // Signed out is an ordinary state, not a refused request.
  if (!hasSession()) return null;
  try {
    return await api<User>('/api/auth/me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export function useUser() {
  return useQuery({ queryKey: meQueryKey, queryFn: getMe, staleTime: 5 * 60_000 });
}

/** Records who is now signed in (after login, setup or signup) and drops the previous user's data. */
export function setSignedInUser(queryClient: QueryClient, user: User): void {
  signedOutOnPurpose = false;
  queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== meQueryKey[0] });
  queryClient.setQueryData(meQueryKey, user);
}

/** What the API client does once the session cannot be renewed: forget the user, say why. */
export function handleSessionExpired(queryClient: QueryClient): void {
  const wasSignedIn = Boolean(queryClient.getQueryData<User | null>(meQueryKey));
  queryClient.setQueryData(meQueryKey, null);
  if (wasSignedIn) {
    notifications.show({
      id: 'session-expired',
      color: 'orange',
      title: 'Signed out',
      message: 'Your session has ended. Sign in again to continue.',
    });
  }
}

/** Signs out here and on the server, then shows the sign-in page. */
export function useSignOut() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return useCallback(async () => {
    try {
      await api<void>('/api/auth/logout', { method: 'POST', body: {} });
    } catch {
      // An already-expired session is signed out anyway; the cookies are the server's to clear.
    }
    signedOutOnPurpose = true;
    queryClient.setQueryData(meQueryKey, null);
    queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== meQueryKey[0] });
    await navigate('/login', { replace: true });
  }, [queryClient, navigate]);
}

/** While the account loads: the same shell index.html painted, so the first screen does not flicker. */
function FullPageLoader() {
  return <LoadingShell />;
}

function MeError({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <Center h="100dvh" p="md">
      <Stack maw={420}>
        <Alert color="red" title="Could not load your account">
          {errorMessage(error)}
        </Alert>
        <Button onClick={retry}>Try again</Button>
      </Stack>
    </Center>
  );
}

/** Renders its children for a signed-in user (of one of `roles`, if given); otherwise sends them to sign in. */
export function ProtectedRoute({ children, roles }: { children: ReactNode; roles?: Role[] }) {
  const me = useUser();
  const location = useLocation();
  if (me.isPending) return <FullPageLoader />;
  if (me.isError) return <MeError error={me.error} retry={() => void me.refetch()} />;
  if (!me.data) {
    const here = location.pathname + location.search;
    const to = here === '/' || signedOutOnPurpose ? '/login' : `/login?redirectTo=${encodeURIComponent(here)}`;
    return <Navigate to={to} replace />;
  }
  if (roles && !roles.includes(me.data.role)) {
    return (
      <Alert color="red" title="Not allowed" data-testid="forbidden">
        Your account ({me.data.role}) cannot open this page.
      </Alert>
    );
  }
  return <>{children}</>;
}

/** For the sign-in pages: a user who is already signed in goes on (home, or where sign-in was asked for). */
export function PublicOnlyRoute({ children }: { children: ReactNode }) {
  const me = useUser();
  const [params] = useSearchParams();
  if (me.isPending) return <FullPageLoader />;
  // Also what happens right after signing in: on to the page that asked for it.
  if (me.data) return <Navigate to={safeRedirect(params.get('redirectTo'))} replace />;
  return <>{children}</>;
}

/** Where to go after signing in: the page that sent the user to sign in, if it is one of ours. */
export function safeRedirect(target: string | null): string {
  if (!target || !target.startsWith('/') || target.startsWith('//')) return '/';
  return target;
}
