import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createUserBody, type CreateUserInput, type User } from '../../../../../common/user.schemas.js';
import { api } from '../../../lib/api-client.js';
import { usersQueryKey } from './get-users.js';

export const createUserInputSchema = createUserBody;

export const createUser = (input: CreateUserInput) => api<User>('/api/users', { method: 'POST', body: input });

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createUser,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: usersQueryKey }),
    meta: { inlineErrors: true },
  });
}
