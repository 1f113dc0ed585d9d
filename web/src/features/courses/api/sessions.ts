import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  BulkPreview,
  BulkSessionsInput,
  CreateSessionInput,
  Session,
  SessionWithCourse,
  UpdateSessionInput,
} from '../../../../../common/session.schemas.js';
import { api } from '../../../lib/api-client.js';
import { reopenSession } from '../../live-session/api/close-session.js';

export const sessionsQueryKey = ['sessions'] as const;

interface SessionPage {
  items: SessionWithCourse[];
  nextCursor: string | null;
}

/** A course's sessions in start order (a term fits in one or two pages). */
export function useCourseSessions(courseId: string) {
  return useInfiniteQuery({
    queryKey: [...sessionsQueryKey, 'course', courseId],
    queryFn: ({ pageParam, signal }) =>
      api<SessionPage>('/api/sessions', { query: { courseId, limit: 200, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    meta: { inlineErrors: true },
  });
}

function useSessionChange<V, R>(fn: (v: V) => Promise<R>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: sessionsQueryKey });
      void queryClient.invalidateQueries({ queryKey: ['me'] });
    },
    meta: { inlineErrors: true },
  });
}

const sessionPath = (id: string) => `/api/sessions/${encodeURIComponent(id)}`;

/** Opens a closed session again (check-in resumes; the absences the close recorded stay until replaced). */
export function useReopenSession() {
  return useSessionChange(reopenSession);
}

export function useCreateSession(courseId: string) {
  return useSessionChange((input: CreateSessionInput) =>
    api<Session>(`/api/courses/${encodeURIComponent(courseId)}/sessions`, { method: 'POST', body: input }),
  );
}

export function useBulkSessions(courseId: string) {
  return useSessionChange((input: BulkSessionsInput) =>
    api<{ items: Session[] }>(`/api/courses/${encodeURIComponent(courseId)}/sessions/bulk`, { method: 'POST', body: input }),
  );
}

/** The dates a weekly pattern would create (nothing is written); null input = no preview yet. */
export function useBulkPreview(courseId: string, input: BulkSessionsInput | null) {
  return useQuery({
    queryKey: [...sessionsQueryKey, 'preview', courseId, input],
    queryFn: ({ signal }) =>
      api<BulkPreview>(`/api/courses/${encodeURIComponent(courseId)}/sessions/bulk/preview`, { method: 'POST', body: input, signal }),
    enabled: input !== null,
    placeholderData: keepPreviousData,
    retry: false,
    meta: { inlineErrors: true },
  });
}

export function useUpdateSession() {
  return useSessionChange(({ id, input }: { id: string; input: UpdateSessionInput }) =>
    api<Session>(sessionPath(id), { method: 'PATCH', body: input }),
  );
}

export function useDeleteSession() {
  return useSessionChange((id: string) => api<void>(sessionPath(id), { method: 'DELETE' }));
}

export function useCancelSession() {
  return useSessionChange(({ id, reason }: { id: string; reason: string }) =>
    api<Session>(`${sessionPath(id)}/cancel`, { method: 'POST', body: { reason } }),
  );
}
