import { useQuery } from '@tanstack/react-query';
import type { Device } from '../../../../../common/device.schemas.js';
import { api } from '../../../lib/api-client.js';

/** The kiosks and card readers a session can be bound to (revoked ones left out). */
export function useBindableDevices(enabled: boolean) {
  return useQuery({
    queryKey: ['devices', 'bindable'],
    queryFn: ({ signal }) =>
      api<{ items: Device[]; nextCursor: string | null }>('/api/devices', { query: { includeRevoked: 'false', limit: 200 }, signal }),
    select: (data) => data.items,
    enabled,
    staleTime: 60_000,
    meta: { inlineErrors: true },
  });
}
