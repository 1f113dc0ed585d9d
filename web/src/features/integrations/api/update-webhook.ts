import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { UpdateWebhookInput, Webhook } from '../../../../../common/webhook.schemas.js';
import { api } from '../../../lib/api-client.js';
import { webhooksQueryKey } from './get-webhooks.js';

export const updateWebhook = ({ id, ...input }: UpdateWebhookInput & { id: string }) =>
  api<Webhook>(`/api/webhooks/${encodeURIComponent(id)}`, { method: 'PATCH', body: input });

export const deleteWebhook = (id: string) => api<void>(`/api/webhooks/${encodeURIComponent(id)}`, { method: 'DELETE' });

/** Switches an endpoint on or off (or changes its URL or events). */
export function useUpdateWebhook() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: updateWebhook, onSuccess: () => queryClient.invalidateQueries({ queryKey: webhooksQueryKey }) });
}

/** Removes an endpoint and its deliveries. */
export function useDeleteWebhook() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: deleteWebhook, onSuccess: () => queryClient.invalidateQueries({ queryKey: webhooksQueryKey }) });
}
