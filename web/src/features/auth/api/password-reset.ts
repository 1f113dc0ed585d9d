import { useMutation } from '@tanstack/react-query';
import { forgotBody, resetBody, type ResetInput } from '../../../../../common/account.schemas.js';
import { api } from '../../../lib/api-client.js';

export const forgotInputSchema = forgotBody;
export const resetInputSchema = resetBody;

export const requestPasswordReset = (input: { username: string }) => api<null>('/api/auth/forgot', { method: 'POST', body: input });
export const choosePassword = (input: ResetInput) => api<null>('/api/auth/reset', { method: 'POST', body: input });

export function useRequestPasswordReset() {
  return useMutation({ mutationFn: requestPasswordReset, meta: { inlineErrors: true } });
}

export function useChoosePassword() {
  return useMutation({ mutationFn: choosePassword, meta: { inlineErrors: true } });
}
