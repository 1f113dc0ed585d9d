import { useMutation, useQueryClient } from '@tanstack/react-query';
import { updateUserBody, type UpdateUserInput, type User } from '../../../../../common/user.schemas.js';
import { api } from '../../../lib/api-client.js';
import { usersQueryKey } from './get-users.js';

export const updateUserInputSchema = updateUserBody;

export const updateUser = ({ id, input }: { id: string; input: UpdateUserInput }) =>
  api<User>(`/api/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: input });

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateUser,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: usersQueryKey }),
    meta: { inlineErrors: true },
  });
}
