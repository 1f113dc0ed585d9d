import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Course, CreateCourseInput, UpdateCourseInput } from '../../../../../common/course.schemas.js';
import { api } from '../../../lib/api-client.js';
import { courseKeys, courseQuery } from '../../../lib/queries/courses.js';

export const coursesQueryKey = courseKeys.all;

interface CoursePage {
  items: Course[];
  nextCursor: string | null;
}

export const COURSES_PAGE_SIZE = 50;

export const getCourses = (q: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<CoursePage>('/api/courses', { query: { q: q.trim() || undefined, limit: COURSES_PAGE_SIZE, cursor }, signal });

/** The courses the caller may see: all for admins, their own for teachers. */
export function useCoursePages(q: string) {
  return useInfiniteQuery({
    queryKey: [...coursesQueryKey, 'list', { q }],
    queryFn: ({ pageParam, signal }) => getCourses(q, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    meta: { inlineErrors: true },
  });
}

export function useCourse(id: string) {
  return useQuery({ ...courseQuery(id), meta: { inlineErrors: true } });
}

export function useSaveCourse() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }: { id: string | null; input: CreateCourseInput | UpdateCourseInput }) =>
      id
        ? api<Course>(`/api/courses/${encodeURIComponent(id)}`, { method: 'PATCH', body: input })
        : api<Course>('/api/courses', { method: 'POST', body: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: coursesQueryKey }),
    meta: { inlineErrors: true },
  });
}

export function useDeleteCourse() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/courses/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: coursesQueryKey }),
    meta: { inlineErrors: true },
  });
}
