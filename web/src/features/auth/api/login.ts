import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { loginBody, type TokenPair } from '../../../../../common/user.schemas.js';
import { api } from '../../../lib/api-client.js';
import { setSignedInUser } from '../../../lib/auth.js';

export const loginInputSchema = loginBody;
export type LoginInput = z.infer<typeof loginBody>;

/** The server sets the session cookies; the tokens in the body are for API clients, not kept here. */
export const login = (input: LoginInput) => api<TokenPair>('/api/auth/login', { method: 'POST', body: input });

export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: login,
    onSuccess: (pair) => setSignedInUser(queryClient, pair.user),
    meta: { inlineErrors: true },
  });
}
