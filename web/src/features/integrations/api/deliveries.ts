import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Delivery, DeliveryState } from '../../../../../common/webhook.schemas.js';
import { api } from '../../../lib/api-client.js';
import { webhooksQueryKey } from './get-webhooks.js';

const deliveriesKey = (webhookId: string) => [...webhooksQueryKey, webhookId, 'deliveries'] as const;

export const getDeliveries = (webhookId: string, state: DeliveryState | undefined, signal?: AbortSignal) =>
  api<{ items: Delivery[]; nextCursor: string | null }>(`/api/webhooks/${encodeURIComponent(webhookId)}/deliveries`, {
    query: { state, limit: 50 },
    signal,
  });

/** The endpoint's latest deliveries; refreshed every few seconds while shown, since they move on their own. */
export function useDeliveries(webhookId: string, state: DeliveryState | undefined) {
  return useQuery({
    queryKey: [...deliveriesKey(webhookId), { state }],
    queryFn: ({ signal }) => getDeliveries(webhookId, state, signal),
    refetchInterval: 2_000,
    meta: { inlineErrors: true },
  });
}

export const sendTest = (webhookId: string) => api<Delivery>(`/api/webhooks/${encodeURIComponent(webhookId)}/test`, { method: 'POST' });

/** Queues a `ping` to this endpoint only. */
export function useSendTest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: sendTest,
    onSuccess: (_d, webhookId) => queryClient.invalidateQueries({ queryKey: deliveriesKey(webhookId) }),
  });
}

export const retryDelivery = ({ webhookId, deliveryId }: { webhookId: string; deliveryId: string }) =>
  api<Delivery>(`/api/webhooks/${encodeURIComponent(webhookId)}/deliveries/${encodeURIComponent(deliveryId)}/retry`, { method: 'POST' });

/** Sends a delivery again now. */
export function useRetryDelivery() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: retryDelivery,
    onSuccess: (_d, { webhookId }) => queryClient.invalidateQueries({ queryKey: deliveriesKey(webhookId) }),
  });
}
