import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client.js';
import { auditKey } from './get-audit.js';
import { recordsKey, type RollCallRecords } from './get-records.js';

export interface DeleteVariables {
  sessionId: string;
  studentId: string;
  reason?: string;
}

export const deleteRecord = ({ sessionId, studentId, reason }: DeleteVariables) =>
  api<void>(`/api/sessions/${encodeURIComponent(sessionId)}/records/${encodeURIComponent(studentId)}`, {
    method: 'DELETE',
    query: { reason },
  });

/** Admins only: removes the record (audited); the student shows as unmarked again. */
export function useDeleteRecord() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteRecord,
    onSuccess: (_data, { sessionId, studentId }) => {
      queryClient.setQueryData<RollCallRecords>(recordsKey(sessionId), (held) => {
        if (!held?.records[studentId]) return held;
        const records = { ...held.records };
        delete records[studentId];
        return { ...held, records };
      });
      void queryClient.invalidateQueries({ queryKey: recordsKey(sessionId), exact: true });
      void queryClient.invalidateQueries({ queryKey: auditKey(sessionId, studentId) });
    },
    meta: { inlineErrors: true },
  });
}
