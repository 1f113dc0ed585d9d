import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client.js';
import { dropRecord, sessionLiveKeys, sessionPath, updateRecords } from '../../../lib/queries/session-live.js';

export interface DeleteVariables {
  sessionId: string;
  studentId: string;
  reason?: string;
}

export const deleteRecord = ({ sessionId, studentId, reason }: DeleteVariables) =>
  api<void>(`${sessionPath(sessionId)}/records/${encodeURIComponent(studentId)}`, {
    method: 'DELETE',
    query: { reason },
  });

/** Admins only: removes the record (audited); the student shows as unmarked again. */
export function useDeleteRecord() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteRecord,
    onSuccess: (_data, { sessionId, studentId }) => {
      updateRecords(queryClient, sessionId, (state) => dropRecord(state, studentId));
      void queryClient.invalidateQueries({ queryKey: sessionLiveKeys.audit(sessionId, studentId) });
    },
    meta: { inlineErrors: true },
  });
}
