import { createBrowserRouter, RouterProvider } from 'react-router';
import { ProtectedRoute, PublicOnlyRoute } from '../lib/auth.js';
import { RouteError } from '../components/errors/route-error.js';
import { LoadingShell } from '../components/loading-shell.js';
import { AppRoot } from './routes/app/root.js';
import { LoginRoute } from './routes/login.js';
import { NotFoundRoute } from './routes/not-found.js';

// Sign-in and the shell ship in the main bundle (every visit needs them); pages load on first use.
const router = createBrowserRouter([
  {
    errorElement: <RouteError />,
    // While the first page's code loads: the same shell index.html paints, never a blank screen.
    HydrateFallback: LoadingShell,
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
        path: '/forgot-password',
        lazy: async () => {
          const { ForgotPasswordRoute } = await import('./routes/forgot-password.js');
          return {
            element: (
              <PublicOnlyRoute>
                <ForgotPasswordRoute />
              </PublicOnlyRoute>
            ),
          };
        },
      },
      {
        // Invitation and reset links; works signed in or not.
        path: '/choose-password',
        lazy: async () => ({ Component: (await import('./routes/choose-password.js')).ChoosePasswordRoute }),
      },
      {
        path: '/setup',
        lazy: async () => ({ Component: (await import('./routes/setup.js')).SetupRoute }),
      },
      {
        // What the QR opens: a signed-in student checks in at once; others may use number + name.
        path: '/c/:sessionId',
        lazy: async () => ({ Component: (await import('./routes/link-checkin.js')).LinkCheckinRoute }),
      },
      {
        // Full screen for the room, outside the app shell.
        path: '/sessions/:id/projector',
        lazy: async () => {
          const { ProjectorRoute } = await import('./routes/sessions/projector.js');
          return {
            element: (
              <ProtectedRoute roles={['teacher', 'admin']}>
                <ProjectorRoute />
              </ProtectedRoute>
            ),
          };
        },
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
            path: 'checkin',
            lazy: async () => {
              const { CheckinRoute } = await import('./routes/app/checkin.js');
              return {
                element: (
                  <ProtectedRoute roles={['student']}>
                    <CheckinRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
          {
            path: 'attendance',
            lazy: async () => {
              const { AttendanceRoute } = await import('./routes/app/attendance.js');
              return {
                element: (
                  <ProtectedRoute roles={['student']}>
                    <AttendanceRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
          {
            path: 'sessions/:id/live',
            lazy: async () => {
              const { LiveSessionRoute } = await import('./routes/app/sessions/live.js');
              return {
                element: (
                  <ProtectedRoute roles={['teacher', 'admin']}>
                    <LiveSessionRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
          {
            path: 'courses',
            lazy: async () => {
              const { CoursesRoute } = await import('./routes/app/courses.js');
              return {
                element: (
                  <ProtectedRoute roles={['teacher', 'admin']}>
                    <CoursesRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
          {
            path: 'courses/:courseId',
            lazy: async () => {
              const { CourseRoute } = await import('./routes/app/course.js');
              return {
                element: (
                  <ProtectedRoute roles={['teacher', 'admin']}>
                    <CourseRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
          {
            path: 'calendar',
            lazy: async () => {
              const { CalendarRoute } = await import('./routes/app/calendar.js');
              return {
                element: (
                  <ProtectedRoute roles={['teacher', 'student']}>
                    <CalendarRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
          {
            path: 'admin/departments',
            lazy: async () => {
              const { DepartmentsRoute } = await import('./routes/app/admin/departments.js');
              return {
                element: (
                  <ProtectedRoute roles={['admin']}>
                    <DepartmentsRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
          {
            path: 'admin/sections',
            lazy: async () => {
              const { SectionsRoute } = await import('./routes/app/admin/sections.js');
              return {
                element: (
                  <ProtectedRoute roles={['admin']}>
                    <SectionsRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
          {
            path: 'sessions/:id/roll-call',
            lazy: async () => {
              const { RollCallRoute } = await import('./routes/app/sessions/roll-call.js');
              return {
                element: (
                  <ProtectedRoute roles={['teacher', 'admin']}>
                    <RollCallRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
          {
            path: 'admin/devices',
            lazy: async () => {
              const { DevicesRoute } = await import('./routes/app/admin/devices.js');
              return {
                element: (
                  <ProtectedRoute roles={['admin']}>
                    <DevicesRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
          {
            path: 'admin/reports',
            lazy: async () => {
              const { ReportsOverviewRoute } = await import('./routes/app/admin/reports.js');
              return {
                element: (
                  <ProtectedRoute roles={['admin']}>
                    <ReportsOverviewRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
          {
            path: 'admin/integrations',
            lazy: async () => {
              const { IntegrationsRoute } = await import('./routes/app/admin/integrations.js');
              return {
                element: (
                  <ProtectedRoute roles={['admin']}>
                    <IntegrationsRoute />
                  </ProtectedRoute>
                ),
              };
            },
          },
          {
            path: 'absences',
            lazy: async () => ({ Component: (await import('./routes/app/absences.js')).AbsencesRoute }),
          },
          {
            path: 'absences/new',
            lazy: async () => {
              const { NewAbsenceRoute } = await import('./routes/app/absences.js');
              return {
                element: (
                  <ProtectedRoute roles={['student']}>
                    <NewAbsenceRoute />
                  </ProtectedRoute>
                ),
              };
            },
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
