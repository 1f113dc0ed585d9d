import { useCallback } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { recordSchema, recordStudentSchema, summarySchema } from '../../../../../common/attendance.schemas.js';
import { sessionSchema } from '../../../../../common/session.schemas.js';
import { useTopic } from '../../../lib/realtime.js';
import { codeQueryKey, type SessionCode } from '../api/get-code.js';
import { mergeRecords, recordsQueryKey, type SessionRecords } from '../api/get-records.js';
import { sessionQueryKey } from '../api/get-session.js';

const checkinEvent = z.object({ record: recordSchema, student: recordStudentSchema });
const recordEvent = z.object({ record: recordSchema });
const summaryEvent = z.object({ sessionId: z.string(), summary: summarySchema });
const codeEvent = z.object({ sessionId: z.string(), code: z.string(), expiresAt: z.string(), url: z.string() });
const sessionEvent = z.object({ session: sessionSchema });

/**
 * Keeps the session's queries (session, records + summary, code) current from `session:<id>`:
 * each event is applied to the TanStack cache, records only when newer than the held version.
 * Snapshots are re-read once the subscription is acknowledged, so nothing falls between a snapshot
 * and the first event; after a reconnect the realtime client re-reads every query.
 */
export function useLiveSession(sessionId: string) {
  const queryClient = useQueryClient();

  const refetchAll = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: sessionQueryKey(sessionId) });
  }, [queryClient, sessionId]);

  const onEvent = useCallback(
    (event: string, data: unknown) => {
      const recordsKey = recordsQueryKey(sessionId);
      switch (event) {
        case 'CHECKIN': {
          const parsed = checkinEvent.safeParse(data);
          if (!parsed.success || parsed.data.record.sessionId !== sessionId) return;
          const held = queryClient.getQueryData<SessionRecords>(recordsKey);
          if (!held) {
            // No snapshot yet (still loading): a fresh one will include it.
            void queryClient.invalidateQueries({ queryKey: recordsKey, exact: true });
          } else {
            const known = held.items.find((r) => r.studentId === parsed.data.record.studentId);
            if (known && known.version >= parsed.data.record.version) return;
            queryClient.setQueryData<SessionRecords>(recordsKey, {
              ...held,
              items: mergeRecords(held.items, [{ ...parsed.data.record, student: parsed.data.student }]),
            });
          }
          return;
        }
        case 'RECORD_UPDATED': {
          const parsed = recordEvent.safeParse(data);
          if (!parsed.success || parsed.data.record.sessionId !== sessionId) return;
          const record = parsed.data.record;
          const held = queryClient.getQueryData<SessionRecords>(recordsKey);
          const known = held?.items.find((r) => r.studentId === record.studentId);
          if (!held || !known) {
            // A record we cannot name yet (e.g. a roll-call mark of someone not in the list).
            void queryClient.invalidateQueries({ queryKey: recordsKey, exact: true });
            return;
          }
          if (known.version >= record.version) return;
          queryClient.setQueryData<SessionRecords>(recordsKey, {
            ...held,
            items: mergeRecords(held.items, [{ ...record, student: known.student }]),
          });
          return;
        }
        case 'SUMMARY': {
          const parsed = summaryEvent.safeParse(data);
          if (!parsed.success || parsed.data.sessionId !== sessionId) return;
          queryClient.setQueryData<SessionRecords>(recordsKey, (old) => (old ? { ...old, summary: parsed.data.summary } : old));
          return;
        }
        case 'CODE_ROTATED': {
          const parsed = codeEvent.safeParse(data);
          if (!parsed.success || parsed.data.sessionId !== sessionId) return;
          const { code, expiresAt, url } = parsed.data;
          queryClient.setQueryData<SessionCode>(codeQueryKey(sessionId), (old) => ({
            code,
            expiresAt,
            url,
            rotateSeconds: old?.rotateSeconds ?? 0,
          }));
          return;
        }
        case 'SESSION_OPENED':
        case 'SESSION_UPDATED':
        case 'SESSION_CLOSED':
        case 'SESSION_CANCELLED': {
          const parsed = sessionEvent.safeParse(data);
          if (!parsed.success || parsed.data.session.id !== sessionId) return;
          queryClient.setQueryData(sessionQueryKey(sessionId), parsed.data.session);
          if (event === 'SESSION_OPENED' || event === 'SESSION_UPDATED') {
            void queryClient.invalidateQueries({ queryKey: codeQueryKey(sessionId), exact: true });
          }
          // Closing adds the absent records in one go; they are not sent one by one.
          if (event === 'SESSION_CLOSED') void queryClient.invalidateQueries({ queryKey: recordsKey, exact: true });
          return;
        }
        default:
          return;
      }
    },
    [queryClient, sessionId],
  );

  useTopic(`session:${sessionId}`, onEvent, { onSubscribed: refetchAll });
}
