import { useQuery } from '@tanstack/react-query';
import type { CourseStudent } from '../../../../../common/course.schemas.js';
import { LIMITS } from '../../../../../common/limits.js';
import { api } from '../../../lib/api-client.js';

interface RosterPage {
  items: CourseStudent[];
  nextCursor: string | null;
}

export const rosterKey = (courseId: string) => ['roll-call', 'roster', courseId] as const;

/** Every student enrolled in the course, by name (all pages: a roll call needs the whole class). */
export async function getRoster(courseId: string, signal?: AbortSignal): Promise<CourseStudent[]> {
  const all: CourseStudent[] = [];
  let cursor: string | undefined;
  do {
    const page = await api<RosterPage>(`/api/courses/${encodeURIComponent(courseId)}/students`, {
      query: { limit: LIMITS.pageSizeMax, cursor },
      signal,
    });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

export function useRoster(courseId: string | undefined) {
  return useQuery({
    queryKey: rosterKey(courseId ?? ''),
    queryFn: ({ signal }) => getRoster(courseId!, signal),
    enabled: Boolean(courseId),
    meta: { inlineErrors: true },
  });
}
