import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client.js';
import { usersQueryKey } from './get-users.js';

/** Deactivates the account; its attendance history is kept. */
export const deactivateUser = (id: string) => api<void>(`/api/users/${encodeURIComponent(id)}`, { method: 'DELETE' });

export function useDeactivateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deactivateUser,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: usersQueryKey }),
  });
}
