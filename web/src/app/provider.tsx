import { useState, type ReactNode } from 'react';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ApiError, setSessionExpiredHandler } from '../lib/api-client.js';
import { handleSessionExpired } from '../lib/auth.js';
import { notifyError } from '../lib/notify.js';
import { RealtimeProvider } from '../lib/realtime.js';
import { cssVariablesResolver, theme } from './theme.js';


// An expired session already has its own message and sends the user to sign in.
const isSessionEnd = (error: unknown) => error instanceof ApiError && error.code === 'unauthenticated';

function makeQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (!query.meta?.inlineErrors && !isSessionEnd(error)) notifyError(error);
      },
    }),
    mutationCache: new MutationCache({
      onError: (error, _vars, _ctx, mutation) => {
        // Forms show their own errors inline (`meta.inlineErrors`); everything else gets a notification.
        if (!mutation.meta?.inlineErrors && !mutation.meta?.silent && !isSessionEnd(error)) notifyError(error);
      },
    }),
    defaultOptions: {
      queries: {
        refetchOnWindowFocus: false,
        // A 4xx will not get better by asking again.
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      },
    },
  });
}

export function AppProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(() => {
    const client = makeQueryClient();
    setSessionExpiredHandler(() => handleSessionExpired(client));
    return client;
  });
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="light">
      {/* Bottom corner: a toast never hides the header or a dialog's close button (both at the top). */}
      <Notifications position="bottom-right" zIndex={1000} />
      <QueryClientProvider client={queryClient}>
        {/* Opens the live connection once someone is signed in (see lib/realtime.tsx). */}
        <RealtimeProvider>{children}</RealtimeProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
