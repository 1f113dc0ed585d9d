import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client.js';
import { devicesQueryKey } from './get-devices.js';

/** Revokes the device's key: its scans are refused from then on. */
export const revokeDevice = (id: string) => api<void>(`/api/devices/${encodeURIComponent(id)}`, { method: 'DELETE' });

export function useRevokeDevice() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: revokeDevice,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: devicesQueryKey }),
    meta: { inlineErrors: true },
  });
}
