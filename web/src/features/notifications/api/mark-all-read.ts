import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import type { readAllResultSchema } from '../../../../../common/notification.schemas.js';
import { api } from '../../../lib/api-client.js';
import { notificationsQueryKey } from './get-notifications.js';

export const markAllNotificationsRead = () =>
  api<z.infer<typeof readAllResultSchema>>('/api/notifications/read-all', { method: 'POST', body: {} });

export function useMarkAllNotificationsRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: markAllNotificationsRead,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: notificationsQueryKey }),
  });
}
