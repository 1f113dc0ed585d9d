import { useCallback } from 'react';
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { CourseStudent } from '../../../common/course.schemas.js';
import { sessionTopic, type LiveEvent } from '../../../common/live-events.js';
import type { Session } from '../../../common/session.schemas.js';
import { courseKeys, courseQuery, wholeRosterQuery } from './queries/courses.js';
import {
  dropRecord,
  putRecord,
  sessionLiveKeys,
  sessionQuery,
  sessionRecordsQuery,
  updateRecords,
  type RecordStudent,
  type SessionCode,
  type SessionRecords,
} from './queries/session-live.js';
import { useTopic } from './realtime.js';

/** Records exist (and are shown) once a session has been opened. */
const HAS_RECORDS = new Set<Session['state']>(['open', 'closed']);

function rosterOf(queryClient: QueryClient, sessionId: string): { courseId?: string; roster?: CourseStudent[] } {
  const courseId = queryClient.getQueryData<Session>(sessionLiveKeys.session(sessionId))?.courseId;
  return { courseId, roster: courseId ? queryClient.getQueryData<CourseStudent[]>(courseKeys.wholeRoster(courseId)) : undefined };
}

/**
 * The one reducer of a session's live events (`session:<id>`, common/live-events.ts), applied to the
 * session's store in the TanStack cache:
 * - CHECKIN / RECORD_UPDATED: the record, unless the held one is as new (version) or was deleted;
 *   a student the roster lacks (enrolled meanwhile, e.g. through a link) has the roster read again;
 * - RECORD_DELETED: the record leaves every page; a snapshot still holding it is not believed;
 * - SUMMARY, CODE_ROTATED, SESSION_*: replace what is held (closing re-reads the records: the
 *   absences it adds are not sent one by one);
 * - ROSTER_CHANGED: the course's rosters are read again (the new count comes as SUMMARY).
 */
export function applySessionEvent(queryClient: QueryClient, sessionId: string, live: LiveEvent): void {
  const recordsKey = sessionLiveKeys.records(sessionId);
  switch (live.event) {
    case 'CHECKIN':
    case 'RECORD_UPDATED': {
      const { record } = live.data;
      if (record.sessionId !== sessionId) return;
      const { courseId, roster } = rosterOf(queryClient, sessionId);
      const onRoster = roster?.find((s) => s.id === record.studentId);
      let student: RecordStudent | undefined = live.event === 'CHECKIN' ? live.data.student : undefined;
      if (!student && onRoster) student = { id: onRoster.id, name: onRoster.name, studentNumber: onRoster.studentNumber };
      updateRecords(queryClient, sessionId, (state) => putRecord(state, record, student));
      void queryClient.invalidateQueries({ queryKey: sessionLiveKeys.audit(sessionId, record.studentId) });
      if (courseId && roster && !onRoster) {
        // Enrolled meanwhile (e.g. through a check-in link), or no longer enrolled: read the roster
        // again, and the records too when nothing here can name the student.
        void queryClient.invalidateQueries({ queryKey: courseKeys.wholeRoster(courseId), exact: true });
        if (!queryClient.getQueryData<SessionRecords>(recordsKey)?.byStudent[record.studentId]?.student) {
          void queryClient.invalidateQueries({ queryKey: recordsKey, exact: true });
        }
      }
      return;
    }
    case 'RECORD_DELETED': {
      const { studentId, recordId } = live.data;
      if (live.data.sessionId !== sessionId) return;
      updateRecords(queryClient, sessionId, (state) => dropRecord(state, studentId, recordId));
      void queryClient.invalidateQueries({ queryKey: sessionLiveKeys.audit(sessionId, studentId) });
      return;
    }
    case 'SUMMARY': {
      if (live.data.sessionId !== sessionId) return;
      const { summary } = live.data;
      queryClient.setQueryData<SessionRecords>(recordsKey, (held) => (held ? { ...held, summary } : held));
      return;
    }
    case 'CODE_ROTATED': {
      const { sessionId: id, code, expiresAt, url } = live.data;
      if (id !== sessionId) return;
      queryClient.setQueryData<SessionCode>(sessionLiveKeys.code(sessionId), (old) => ({ code, expiresAt, url, rotateSeconds: old?.rotateSeconds ?? 0 }));
      return;
    }
    case 'SESSION_OPENED':
    case 'SESSION_UPDATED':
    case 'SESSION_CLOSED':
    case 'SESSION_CANCELLED': {
      const { session } = live.data;
      if (session.id !== sessionId) return;
      queryClient.setQueryData(sessionLiveKeys.session(sessionId), session);
      if (live.event === 'SESSION_OPENED' || live.event === 'SESSION_UPDATED') {
        void queryClient.invalidateQueries({ queryKey: sessionLiveKeys.code(sessionId), exact: true });
      }
      if (live.event === 'SESSION_CLOSED') void queryClient.invalidateQueries({ queryKey: recordsKey, exact: true });
      return;
    }
    case 'ROSTER_CHANGED': {
      if (live.data.sessionId !== sessionId) return;
      void queryClient.invalidateQueries({ queryKey: courseKeys.roster(live.data.courseId) });
      return;
    }
    default:
      return;
  }
}

/**
 * A session's live store for a page (live page, projector, roll call): the session, its course and,
 * once it has been opened, its records + summary and the course's whole roster (who has no record
 * yet; the names of records that arrive without one), all kept current from `session:<id>` by
 * `applySessionEvent`. Each time the subscription is acknowledged (first time and after every
 * reconnect) the snapshots are read again, so nothing falls between a snapshot and the first event.
 */
export function useSessionLive(sessionId: string) {
  const queryClient = useQueryClient();
  const session = useQuery({ ...sessionQuery(sessionId), meta: { inlineErrors: true } });
  const courseId = session.data?.courseId;
  const hasRecords = session.data !== undefined && HAS_RECORDS.has(session.data.state);
  const course = useQuery({ ...courseQuery(courseId ?? ''), enabled: Boolean(courseId), staleTime: 5 * 60_000, meta: { inlineErrors: true } });
  const records = useQuery({ ...sessionRecordsQuery(queryClient, sessionId), enabled: hasRecords, meta: { inlineErrors: true } });
  const roster = useQuery({
    ...wholeRosterQuery(courseId ?? ''),
    enabled: Boolean(courseId && hasRecords),
    meta: { inlineErrors: true },
  });

  const resnapshot = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: sessionLiveKeys.all(sessionId) });
    const id = queryClient.getQueryData<Session>(sessionLiveKeys.session(sessionId))?.courseId;
    if (id) void queryClient.invalidateQueries({ queryKey: courseKeys.wholeRoster(id), exact: true });
  }, [queryClient, sessionId]);

  const onEvent = useCallback(
    (_event: string, _data: unknown, live: LiveEvent) => applySessionEvent(queryClient, sessionId, live),
    [queryClient, sessionId],
  );
  useTopic(sessionTopic(sessionId), onEvent, { onSubscribed: resnapshot });

  return { session, course, records, roster };
}
