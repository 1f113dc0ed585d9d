import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { updateMeBody, type User } from '../../../../../common/user.schemas.js';
import { api } from '../../../lib/api-client.js';
import { meQueryKey } from '../../../lib/auth.js';

export const updateProfileInputSchema = updateMeBody;
export type UpdateProfileInput = z.infer<typeof updateMeBody>;

export const updateProfile = (input: UpdateProfileInput) => api<User>('/api/auth/me', { method: 'PATCH', body: input });

export function useUpdateProfile() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateProfile,
    onSuccess: (user) => queryClient.setQueryData(meQueryKey, user),
    meta: { inlineErrors: true },
  });
}
