import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { setupBody, type TokenPair } from '../../../../../common/user.schemas.js';
import { api } from '../../../lib/api-client.js';
import { setSignedInUser } from '../../../lib/auth.js';

export const setupInputSchema = setupBody;
export type SetupInput = z.infer<typeof setupBody>;

export const getSetupStatus = () => api<{ needed: boolean }>('/api/setup');

export function useSetupStatus() {
  return useQuery({ queryKey: ['setup'], queryFn: getSetupStatus, meta: { inlineErrors: true } });
}

/** Creates the first admin with the one-time token and signs them in (cookies set by the server). */
export const runSetup = (input: SetupInput) => api<TokenPair>('/api/setup', { method: 'POST', body: input });

export function useSetup() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: runSetup,
    onSuccess: (pair) => {
      queryClient.setQueryData(['setup'], { needed: false });
      setSignedInUser(queryClient, pair.user);
    },
    meta: { inlineErrors: true },
  });
}
