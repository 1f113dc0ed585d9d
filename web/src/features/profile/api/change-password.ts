import { useMutation } from '@tanstack/react-query';
import type { z } from 'zod';
import { passwordBody } from '../../../../../common/user.schemas.js';
import { api } from '../../../lib/api-client.js';

export const changePasswordInputSchema = passwordBody;
export type ChangePasswordInput = z.infer<typeof passwordBody>;

export const changePassword = (input: ChangePasswordInput) =>
  api<void>('/api/auth/password', { method: 'POST', body: input });

export function useChangePassword() {
  return useMutation({ mutationFn: changePassword, meta: { inlineErrors: true } });
}
