import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AccountLink } from '../../../../../common/account.schemas.js';
import { createUserBody, type CreateUserInput, type User } from '../../../../../common/user.schemas.js';
import { api } from '../../../lib/api-client.js';
import { usersQueryKey } from './get-users.js';

export const createUserInputSchema = createUserBody;

/** The created user; `invitation` when no password was given (the link for them to choose one). */
export type CreatedUser = User & { invitation?: AccountLink };

export const createUser = (input: CreateUserInput) => api<CreatedUser>('/api/users', { method: 'POST', body: input });

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createUser,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: usersQueryKey }),
    meta: { inlineErrors: true },
  });
}
