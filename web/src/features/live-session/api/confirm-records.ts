import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AttendanceRecord } from '../../../../../common/attendance.schemas.js';
import { api } from '../../../lib/api-client.js';
import { sessionPath, storeRecords } from '../../../lib/queries/session-live.js';

const base = (sessionId: string) => `${sessionPath(sessionId)}/records`;

export const confirmRecord = ({ sessionId, studentId }: { sessionId: string; studentId: string }) =>
  api<{ record: AttendanceRecord }>(`${base(sessionId)}/${encodeURIComponent(studentId)}/confirm`, { method: 'POST', body: {} });

export const confirmAllRecords = (sessionId: string) =>
  api<{ items: AttendanceRecord[] }>(`${base(sessionId)}/confirm-all`, { method: 'POST', body: {} });

export function useConfirmRecord(sessionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (studentId: string) => confirmRecord({ sessionId, studentId }),
    onSuccess: ({ record }) => storeRecords(queryClient, [record]),
  });
}

export function useConfirmAllRecords(sessionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => confirmAllRecords(sessionId),
    onSuccess: ({ items }) => storeRecords(queryClient, items),
  });
}
