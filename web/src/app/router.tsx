import { createBrowserRouter, RouterProvider } from 'react-router';
import { ProtectedRoute, PublicOnlyRoute } from '../lib/auth.js';
import { RouteError } from '../components/errors/route-error.js';
import { AppRoot } from './routes/app/root.js';
import { LoginRoute } from './routes/login.js';
import { NotFoundRoute } from './routes/not-found.js';

// Sign-in and the shell ship in the main bundle (every visit needs them); pages load on first use.
const router = createBrowserRouter([
  {
    errorElement: <RouteError />,
    children: [
      {
        path: '/login',
        element: (
          <PublicOnlyRoute>
            <LoginRoute />
          </PublicOnlyRoute>
        ),
      },
      {
        path: '/signup',
        lazy: async () => {
          const { SignupRoute } = await import('./routes/signup.js');
          return {
            element: (
              <PublicOnlyRoute>
                <SignupRoute />
              </PublicOnlyRoute>
            ),
          };
        },
      },
      {
        path: '/setup',
        lazy: async () => ({ Component: (await import('./routes/setup.js')).SetupRoute }),
      },
      {
        path: '/',
        element: (
          <ProtectedRoute>
            <AppRoot />
          </ProtectedRoute>
        ),
        children: [
          {
            index: true,
            lazy: async () => ({ Component: (await import('./routes/app/home.js')).HomeRoute }),
          },
          {
            path: 'profile',
            lazy: async () => ({ Component: (await import('./routes/app/profile.js')).ProfileRoute }),
          },
          {
            path: 'notifications',
            lazy: async () => ({ Component: (await import('./routes/app/notifications.js')).NotificationsRoute }),
          },
          {
            path: 'admin/users',
            lazy: async () => {
              const { UsersRoute } = await import('./routes/app/admin/users.js');
              return {
                element: (
                  <ProtectedRoute roles={['admin']}>
                    <UsersRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
        ],
      },
      // Reachable signed in or not, so a mistyped link never bounces through the sign-in page.
      { path: '*', Component: NotFoundRoute },
    ],
  },
]);

export function AppRouter() {
  return <RouterProvider router={router} />;
}
