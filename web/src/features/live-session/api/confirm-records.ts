import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AttendanceRecord } from '../../../../../common/attendance.schemas.js';
import { api } from '../../../lib/api-client.js';
import { recordsQueryKey, type SessionRecords } from './get-records.js';

const base = (sessionId: string) => `/api/sessions/${encodeURIComponent(sessionId)}/records`;

export const confirmRecord = ({ sessionId, studentId }: { sessionId: string; studentId: string }) =>
  api<{ record: AttendanceRecord }>(`${base(sessionId)}/${encodeURIComponent(studentId)}/confirm`, { method: 'POST', body: {} });

export const confirmAllRecords = (sessionId: string) =>
  api<{ items: AttendanceRecord[] }>(`${base(sessionId)}/confirm-all`, { method: 'POST', body: {} });

/** Applies confirmed records to the held list (by version, like the live events). */
function applyRecords(old: SessionRecords | undefined, records: AttendanceRecord[]): SessionRecords | undefined {
  if (!old) return old;
  const next = new Map(records.map((r) => [r.studentId, r]));
  return {
    ...old,
    items: old.items.map((item) => {
      const r = next.get(item.studentId);
      return r && r.version > item.version ? { ...item, ...r } : item;
    }),
  };
}

export function useConfirmRecord(sessionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (studentId: string) => confirmRecord({ sessionId, studentId }),
    onSuccess: ({ record }) => queryClient.setQueryData<SessionRecords>(recordsQueryKey(sessionId), (old) => applyRecords(old, [record])),
  });
}

export function useConfirmAllRecords(sessionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => confirmAllRecords(sessionId),
    onSuccess: ({ items }) => queryClient.setQueryData<SessionRecords>(recordsQueryKey(sessionId), (old) => applyRecords(old, items)),
  });
}
