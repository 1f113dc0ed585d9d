import { useCallback, useEffect, useRef } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { recordSchema, recordStudentSchema, summarySchema, type AttendanceRecord } from '../../../../../common/attendance.schemas.js';
import { sessionSchema } from '../../../../../common/session.schemas.js';
import { useTopic } from '../../../lib/realtime.js';
import { auditKey } from '../api/get-audit.js';
import { recordsKey, storeRecord, type RecordStudent, type RollCallRecords } from '../api/get-records.js';
import { rosterKey } from '../api/get-roster.js';
import { rollCallSessionKey } from '../api/get-session.js';

const checkinEvent = z.object({ record: recordSchema, student: recordStudentSchema });
// RECORD_UPDATED carries no student; CHECKIN does (the grid matches by studentId either way).
const recordEvent = z.object({ record: recordSchema, student: recordStudentSchema.optional() });
const deletedEvent = z.object({ sessionId: z.string(), studentId: z.string() });
const summaryEvent = z.object({ sessionId: z.string(), summary: summarySchema });
const sessionEvent = z.object({ session: sessionSchema });

/**
 * Keeps the roll call current from `session:<id>`: marks and check-ins by anyone (dropped when not
 * newer than the version held), deletions, summaries and the session's state. The snapshot is
 * re-read each time the subscription is acknowledged (first time and after every reconnect), so
 * nothing falls between the snapshot and the first event.
 */
export function useRollCallLive(sessionId: string, courseId: string | undefined, enabled: boolean, hasSnapshot: boolean) {
  const queryClient = useQueryClient();
  // Events that arrive while the first snapshot is on its way: applied on top of it once it lands.
  const early = useRef<{ record: AttendanceRecord; student?: RecordStudent }[]>([]);

  useEffect(() => {
    if (!hasSnapshot || early.current.length === 0) return;
    for (const { record, student } of early.current.splice(0)) storeRecord(queryClient, record, student);
  }, [hasSnapshot, queryClient]);

  const resnapshot = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: rollCallSessionKey(sessionId), exact: true });
    void queryClient.invalidateQueries({ queryKey: recordsKey(sessionId), exact: true });
  }, [queryClient, sessionId]);

  const onEvent = useCallback(
    (event: string, data: unknown) => {
      const key = recordsKey(sessionId);
      switch (event) {
        case 'CHECKIN':
        case 'RECORD_UPDATED': {
          const parsed = (event === 'CHECKIN' ? checkinEvent : recordEvent).safeParse(data);
          if (!parsed.success || parsed.data.record.sessionId !== sessionId) return;
          const { record, student } = parsed.data;
          if (!queryClient.getQueryData(key)) {
            early.current.push({ record, student });
            return;
          }
          if (storeRecord(queryClient, record, student)) {
            void queryClient.invalidateQueries({ queryKey: auditKey(sessionId, record.studentId) });
            // Someone enrolled since the roster was read: read it again so they get a row.
            const roster = courseId ? queryClient.getQueryData<{ id: string }[]>(rosterKey(courseId)) : undefined;
            if (courseId && roster && !roster.some((s) => s.id === record.studentId)) {
              void queryClient.invalidateQueries({ queryKey: rosterKey(courseId), exact: true });
            }
          }
          return;
        }
        case 'RECORD_DELETED': {
          const parsed = deletedEvent.safeParse(data);
          if (!parsed.success || parsed.data.sessionId !== sessionId) return;
          const { studentId } = parsed.data;
          queryClient.setQueryData<RollCallRecords>(key, (held) => {
            if (!held?.records[studentId]) return held;
            const records = { ...held.records };
            delete records[studentId];
            return { ...held, records };
          });
          early.current = early.current.filter((e) => e.record.studentId !== studentId);
          // A snapshot already on its way may predate the deletion: read it again.
          void queryClient.invalidateQueries({ queryKey: key, exact: true });
          void queryClient.invalidateQueries({ queryKey: auditKey(sessionId, studentId) });
          return;
        }
        case 'SUMMARY': {
          const parsed = summaryEvent.safeParse(data);
          if (!parsed.success || parsed.data.sessionId !== sessionId) return;
          queryClient.setQueryData<RollCallRecords>(key, (held) => (held ? { ...held, summary: parsed.data.summary } : held));
          return;
        }
        case 'SESSION_OPENED':
        case 'SESSION_UPDATED':
        case 'SESSION_CLOSED':
        case 'SESSION_CANCELLED': {
          const parsed = sessionEvent.safeParse(data);
          if (!parsed.success || parsed.data.session.id !== sessionId) return;
          queryClient.setQueryData(rollCallSessionKey(sessionId), parsed.data.session);
          // Closing marks everyone unmarked absent in one go; those records are not sent one by one.
          if (event === 'SESSION_CLOSED') void queryClient.invalidateQueries({ queryKey: key, exact: true });
          return;
        }
        default:
          return;
      }
    },
    [queryClient, sessionId, courseId],
  );

  useTopic(enabled ? `session:${sessionId}` : null, onEvent, { onSubscribed: resnapshot });
}
