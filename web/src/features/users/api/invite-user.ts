import { useMutation } from '@tanstack/react-query';
import type { AccountLink } from '../../../../../common/account.schemas.js';
import { api } from '../../../lib/api-client.js';

export const inviteUser = (userId: string) => api<AccountLink>(`/api/users/${encodeURIComponent(userId)}/invite`, { method: 'POST' });

export function useInviteUser() {
  return useMutation({ mutationFn: inviteUser });
}
