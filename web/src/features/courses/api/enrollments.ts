import { keepPreviousData, useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import type {
  CourseStudent,
  EnrollInput,
  EnrollResult,
  EnrollmentImportResult,
} from '../../../../../common/course.schemas.js';
import { api } from '../../../lib/api-client.js';

export const rosterQueryKey = (courseId: string) => ['courses', 'roster', courseId] as const;

interface RosterPage {
  items: CourseStudent[];
  nextCursor: string | null;
}

export function useRoster(courseId: string, q: string) {
  return useInfiniteQuery({
    queryKey: [...rosterQueryKey(courseId), { q }],
    queryFn: ({ pageParam, signal }) =>
      api<RosterPage>(`/api/courses/${encodeURIComponent(courseId)}/students`, {
        query: { q: q.trim() || undefined, limit: 100, cursor: pageParam },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    meta: { inlineErrors: true },
  });
}

function useRosterChange<V, R>(courseId: string, fn: (v: V) => Promise<R>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: rosterQueryKey(courseId) });
      // Students' calendars change with the roster.
      void queryClient.invalidateQueries({ queryKey: ['me'] });
    },
    meta: { inlineErrors: true },
  });
}

export function useEnroll(courseId: string) {
  return useRosterChange(courseId, (input: EnrollInput) =>
    api<EnrollResult>(`/api/courses/${encodeURIComponent(courseId)}/enrollments`, { method: 'POST', body: input }),
  );
}

export function useRemoveStudent(courseId: string) {
  return useRosterChange(courseId, (studentId: string) =>
    api<void>(`/api/courses/${encodeURIComponent(courseId)}/students/${encodeURIComponent(studentId)}`, { method: 'DELETE' }),
  );
}

export const ENROLLMENT_IMPORT_HEADER = 'courseCode,studentNumber';

export function useImportEnrollments() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ csv, partial }: { csv: string; partial: boolean }) =>
      api<EnrollmentImportResult>('/api/enrollments/import', {
        method: 'POST',
        query: { partial: partial ? 'true' : undefined },
        body: csv,
        contentType: 'text/csv',
      }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['courses', 'roster'] });
      void queryClient.invalidateQueries({ queryKey: ['me'] });
    },
    meta: { inlineErrors: true },
  });
}
