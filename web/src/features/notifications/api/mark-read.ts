import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Notification } from '../../../../../common/notification.schemas.js';
import { api } from '../../../lib/api-client.js';
import { notificationsQueryKey } from './get-notifications.js';

export const markNotificationRead = (id: string) =>
  api<Notification>(`/api/notifications/${encodeURIComponent(id)}/read`, { method: 'POST', body: {} });

export function useMarkNotificationRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: markNotificationRead,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: notificationsQueryKey }),
  });
}
