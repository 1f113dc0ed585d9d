import { useInfiniteQuery } from '@tanstack/react-query';
import type { Device } from '../../../../../common/device.schemas.js';
import { api } from '../../../lib/api-client.js';

export interface DevicesPage {
  items: Device[];
  nextCursor: string | null;
}

export const devicesQueryKey = ['devices'] as const;

export const getDevices = (includeRevoked: boolean, cursor: string | undefined, signal?: AbortSignal) =>
  api<DevicesPage>('/api/devices', { query: { includeRevoked, limit: 100, cursor }, signal });

/** Registered devices with when each was last seen; "Load more" follows `nextCursor`. */
export function useDevices(includeRevoked: boolean) {
  return useInfiniteQuery({
    queryKey: [...devicesQueryKey, 'list', { includeRevoked }],
    queryFn: ({ pageParam, signal }) => getDevices(includeRevoked, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Last seen moves while the page is open.
    refetchInterval: 60_000,
    meta: { inlineErrors: true },
  });
}
