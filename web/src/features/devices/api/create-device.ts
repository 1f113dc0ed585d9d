import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createDeviceBody, type CreateDeviceInput, type Device } from '../../../../../common/device.schemas.js';
import { api } from '../../../lib/api-client.js';
import { devicesQueryKey } from './get-devices.js';

export const createDeviceInputSchema = createDeviceBody;

export const createDevice = (input: CreateDeviceInput) =>
  api<{ device: Device; apiKey: string }>('/api/devices', { method: 'POST', body: input });

/** Registers a device; the reply carries its API key, which is never shown again. */
export function useCreateDevice() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createDevice,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: devicesQueryKey }),
    meta: { inlineErrors: true },
  });
}
