import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createWebhookBody, type CreateWebhookInput, type Webhook } from '../../../../../common/webhook.schemas.js';
import { api } from '../../../lib/api-client.js';
import { webhooksQueryKey } from './get-webhooks.js';

export const createWebhookInputSchema = createWebhookBody;

export const createWebhook = (input: CreateWebhookInput) => api<{ webhook: Webhook; secret: string }>('/api/webhooks', { method: 'POST', body: input });

/** Adds an endpoint; the reply carries its signing secret, which is never shown again. */
export function useCreateWebhook() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createWebhook,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: webhooksQueryKey }),
    meta: { inlineErrors: true },
  });
}
