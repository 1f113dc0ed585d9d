import { queryOptions } from '@tanstack/react-query';
import type { Course, CourseStudent } from '../../../../common/course.schemas.js';
import { LIMITS } from '../../../../common/limits.js';
import { api } from '../api-client.js';

/**
 * One key family for a course's data, whichever page reads it (course page, live page, projector,
 * roll call): invalidating `courseKeys.roster(id)` after an enrollment reaches every roster of it.
 */
export const courseKeys = {
  all: ['courses'] as const,
  detail: (courseId: string) => [...courseKeys.all, 'detail', courseId] as const,
  roster: (courseId: string) => [...courseKeys.all, 'roster', courseId] as const,
  /** The whole roster in one list (not paged, not searched): what a session's pages match records against. */
  wholeRoster: (courseId: string) => [...courseKeys.roster(courseId), 'whole'] as const,
};

export const coursePath = (courseId: string) => `/api/courses/${encodeURIComponent(courseId)}`;

export interface RosterPage {
  items: CourseStudent[];
  nextCursor: string | null;
}

/** One page of the course's students by name (optionally searched). */
export const getRosterPage = (courseId: string, query: { q?: string; limit: number; cursor?: string }, signal?: AbortSignal) =>
  api<RosterPage>(`${coursePath(courseId)}/students`, { query, signal });

/** The course (code, name, settings). */
export const courseQuery = (courseId: string) =>
  queryOptions({
    queryKey: courseKeys.detail(courseId),
    queryFn: ({ signal }) => api<Course>(coursePath(courseId), { signal }),
  });

/** Every student enrolled in the course, by name (all pages: a roll call needs the whole class). */
export const wholeRosterQuery = (courseId: string) =>
  queryOptions({
    queryKey: courseKeys.wholeRoster(courseId),
    queryFn: async ({ signal }) => {
      const all: CourseStudent[] = [];
      let cursor: string | undefined;
      do {
        const page = await getRosterPage(courseId, { limit: LIMITS.pageSizeMax, cursor }, signal);
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return all;
    },
  });
