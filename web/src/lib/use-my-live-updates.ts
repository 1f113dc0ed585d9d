import { useCallback } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { recordSchema, type AttendanceRecord } from '../../../common/attendance.schemas.js';
import { sessionSchema } from '../../../common/session.schemas.js';
import { meKeys } from './queries/me.js';
import { useTopic } from './realtime.js';

const myAttendanceEvent = z.object({ sessionId: z.string(), record: recordSchema.nullable() });
const sessionEvent = z.object({ session: sessionSchema });

/**
 * The student's side of live (API.md "WebSocket"): on `user:<id>` their own record changes
 * (MY_ATTENDANCE, by any method or person) and the sessions of their courses opening, closing,
 * being cancelled or moved. Each event refreshes the `['me', …]` queries every student page reads
 * (home, course, attendance, calendar) and keeps the check-in result's record current, so nothing
 * needs a reload. Mounted once for the signed-in student.
 */
export function useMyLiveUpdates(userId: string | null) {
  const queryClient = useQueryClient();

  const refreshMine = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: meKeys.sessions() });
    void queryClient.invalidateQueries({ queryKey: meKeys.attendance() });
    // The course page lists the course's sessions for students too.
    void queryClient.invalidateQueries({ queryKey: ['courses'] });
  }, [queryClient]);

  const onEvent = useCallback(
    (event: string, data: unknown) => {
      if (event === 'MY_ATTENDANCE') {
        const parsed = myAttendanceEvent.safeParse(data);
        if (!parsed.success) return;
        const { sessionId, record } = parsed.data;
        queryClient.setQueryData<AttendanceRecord | null>(meKeys.record(sessionId), (held) =>
          // Events can overtake each other across nodes: keep the newest version.
          held && record && held.version > record.version ? held : record,
        );
        refreshMine();
        return;
      }
      if (event === 'SESSION_OPENED' || event === 'SESSION_CLOSED' || event === 'SESSION_CANCELLED' || event === 'SESSION_UPDATED') {
        if (!sessionEvent.safeParse(data).success) return;
        refreshMine();
      }
    },
    [queryClient, refreshMine],
  );

  // Everything read before the subscription was acknowledged may be stale: read it again then.
  useTopic(userId ? `user:${userId}` : null, onEvent, { onSubscribed: refreshMine });
}
