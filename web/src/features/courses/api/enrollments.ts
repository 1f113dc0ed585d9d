import { keepPreviousData, useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import type {
  EnrollInput,
  EnrollResult,
  EnrollmentImportResult,
} from '../../../../../common/course.schemas.js';
import { api } from '../../../lib/api-client.js';
import { courseKeys, getRosterPage } from '../../../lib/queries/courses.js';

export function useRoster(courseId: string, q: string) {
  return useInfiniteQuery({
    queryKey: [...courseKeys.roster(courseId), { q }],
    queryFn: ({ pageParam, signal }) => getRosterPage(courseId, { q: q.trim() || undefined, limit: 100, cursor: pageParam }, signal),
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
      void queryClient.invalidateQueries({ queryKey: courseKeys.roster(courseId) });
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
      void queryClient.invalidateQueries({ queryKey: [...courseKeys.all, 'roster'] });
      void queryClient.invalidateQueries({ queryKey: ['me'] });
    },
    meta: { inlineErrors: true },
  });
}
