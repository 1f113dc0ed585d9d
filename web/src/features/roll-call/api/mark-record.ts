import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AttendanceRecord, AttendanceStatus } from '../../../../../common/attendance.schemas.js';
import type { MarkRecordInput } from '../../../../../common/roll-call.schemas.js';
import { api } from '../../../lib/api-client.js';
import { sessionLiveKeys, sessionPath, storeRecords } from '../../../lib/queries/session-live.js';

export interface MarkVariables {
  sessionId: string;
  studentId: string;
  status: AttendanceStatus;
  note?: string | null;
  expectedVersion?: number;
}

export const markRecord = ({ sessionId, studentId, ...body }: MarkVariables) =>
  api<{ record: AttendanceRecord }>(`${sessionPath(sessionId)}/records/${encodeURIComponent(studentId)}`, {
    method: 'PUT',
    body: body satisfies MarkRecordInput,
  });

/**
 * Marks a student (roll call) or edits their record. The reply is applied at once (unless a newer
 * version arrived live meanwhile); everyone else sees it through RECORD_UPDATED.
 */
export function useMarkRecord(options: { inlineErrors?: boolean } = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: markRecord,
    onSuccess: ({ record }) => {
      storeRecords(queryClient, [record]);
      void queryClient.invalidateQueries({ queryKey: sessionLiveKeys.audit(record.sessionId, record.studentId) });
    },
    meta: { inlineErrors: options.inlineErrors ?? false },
  });
}
