import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AttendanceRecord, AttendanceStatus } from '../../../../../common/attendance.schemas.js';
import type { MarkRecordInput } from '../../../../../common/roll-call.schemas.js';
import { api } from '../../../lib/api-client.js';
import { auditKey } from './get-audit.js';
import { storeRecord } from './get-records.js';

export interface MarkVariables {
  sessionId: string;
  studentId: string;
  status: AttendanceStatus;
  note?: string | null;
  expectedVersion?: number;
}

export const markRecord = ({ sessionId, studentId, ...body }: MarkVariables) =>
  api<{ record: AttendanceRecord }>(`/api/sessions/${encodeURIComponent(sessionId)}/records/${encodeURIComponent(studentId)}`, {
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
      storeRecord(queryClient, record);
      void queryClient.invalidateQueries({ queryKey: auditKey(record.sessionId, record.studentId) });
    },
    meta: { inlineErrors: options.inlineErrors ?? false },
  });
}
