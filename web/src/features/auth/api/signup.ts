import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { signupBody, type User } from '../../../../../common/user.schemas.js';
import { api } from '../../../lib/api-client.js';
import { setSignedInUser } from '../../../lib/auth.js';
import { login } from './login.js';

export const signupInputSchema = signupBody;
export type SignupInput = z.infer<typeof signupBody>;

export const signup = (input: SignupInput) => api<User>('/api/auth/signup', { method: 'POST', body: input });

/** Creates the student account, then signs in with it (sign-up itself sets no session). */
export function useSignup() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (input: SignupInput) => {
      await signup(input);
      return login({ username: input.username, password: input.password });
    },
    onSuccess: (pair) => setSignedInUser(queryClient, pair.user),
    meta: { inlineErrors: true },
  });
}
