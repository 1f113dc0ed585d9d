import { useQuery } from '@tanstack/react-query';
import type { Webhook } from '../../../../../common/webhook.schemas.js';
import { api } from '../../../lib/api-client.js';

export const webhooksQueryKey = ['webhooks'] as const;

export const getWebhooks = (signal?: AbortSignal) =>
  api<{ items: Webhook[]; nextCursor: string | null }>('/api/webhooks', { query: { limit: 200 }, signal });

/** Every endpoint (an institution has a handful, so one page is all of them). */
export function useWebhooks() {
  return useQuery({
    queryKey: [...webhooksQueryKey, 'list'],
    queryFn: ({ signal }) => getWebhooks(signal),
    meta: { inlineErrors: true },
  });
}
