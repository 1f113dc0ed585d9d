import { useQuery } from '@tanstack/react-query';
import type { Course } from '../../../../../common/course.schemas.js';
import { api } from '../../../lib/api-client.js';

export const getCourse = (courseId: string, signal?: AbortSignal) =>
  api<Course>(`/api/courses/${encodeURIComponent(courseId)}`, { signal });

/** The course a session belongs to, for its code and name in the header. */
export function useCourse(courseId: string | undefined) {
  return useQuery({
    queryKey: ['courses', 'detail', courseId],
    queryFn: ({ signal }) => getCourse(courseId!, signal),
    enabled: Boolean(courseId),
    staleTime: 5 * 60_000,
    meta: { inlineErrors: true },
  });
}
