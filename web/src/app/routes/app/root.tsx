import { Outlet, useNavigate } from 'react-router';
import { AppLayout } from '../../../components/layouts/app-layout.js';
import { RealtimeIndicator } from '../../../components/realtime-indicator.js';
import { NotificationBell } from '../../../features/notifications/components/notification-bell.js';
import { useSignOut, useUser } from '../../../lib/auth.js';
import { useMyLiveUpdates } from '../../../lib/use-my-live-updates.js';
import { NAVIGATION } from '../../navigation.js';

/** The shell around every signed-in page; ProtectedRoute has already made sure there is a user. */
export function AppRoot() {
  const { data: user } = useUser();
  const navigate = useNavigate();
  const signOut = useSignOut();
  useMyLiveUpdates(user?.role === 'student' ? user.id : null);
  if (!user) return null;
  return (
    <AppLayout
      nav={NAVIGATION[user.role]}
      user={user}
      onProfile={() => navigate('/profile')}
      onSignOut={() => void signOut()}
      headerActions={
        <>
          <RealtimeIndicator />
          <NotificationBell userId={user.id} />
        </>
      }
    >
      <Outlet />
    </AppLayout>
  );
}
