import { useQuery } from '@tanstack/react-query';
import type { Course } from '../../../../../common/course.schemas.js';
import type { Session } from '../../../../../common/session.schemas.js';
import { api } from '../../../lib/api-client.js';

export const rollCallKey = (sessionId: string) => ['roll-call', sessionId] as const;
export const rollCallSessionKey = (sessionId: string) => [...rollCallKey(sessionId), 'session'] as const;

export const getSession = (sessionId: string, signal?: AbortSignal) =>
  api<Session>(`/api/sessions/${encodeURIComponent(sessionId)}`, { signal });

/** The session being called (its state decides whether marks are possible); kept current by live events. */
export function useRollCallSession(sessionId: string) {
  return useQuery({
    queryKey: rollCallSessionKey(sessionId),
    queryFn: ({ signal }) => getSession(sessionId, signal),
    meta: { inlineErrors: true },
  });
}

export const getCourse = (courseId: string, signal?: AbortSignal) =>
  api<Course>(`/api/courses/${encodeURIComponent(courseId)}`, { signal });

/** The session's course, for its code and name in the header. */
export function useRollCallCourse(courseId: string | undefined) {
  return useQuery({
    queryKey: ['roll-call', 'course', courseId],
    queryFn: ({ signal }) => getCourse(courseId!, signal),
    enabled: Boolean(courseId),
    staleTime: 5 * 60_000,
    meta: { inlineErrors: true },
  });
}
