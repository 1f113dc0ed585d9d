import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { Department } from '../../../../../common/structure.schemas.js';
import type { User } from '../../../../../common/user.schemas.js';
import { api } from '../../../lib/api-client.js';
import { sectionOptionsQuery } from '../../../lib/queries/sections.js';

// Pickers for the course forms. Keys share their entity's prefix so edits elsewhere refresh them.

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function useDepartmentOptions() {
  return useQuery({
    queryKey: ['departments', 'options'],
    queryFn: ({ signal }) => api<Page<Department>>('/api/departments', { query: { limit: 200 }, signal }),
    select: (page) => page.items.map((d) => ({ value: d.id, label: `${d.code} · ${d.name}` })),
    staleTime: 60_000,
    meta: { inlineErrors: true },
  });
}

export function useSectionOptions() {
  return useQuery({ ...sectionOptionsQuery(), meta: { inlineErrors: true } });
}

/** Teachers for the course form (admins only: teachers may not list staff). */
export function useTeacherOptions(enabled: boolean) {
  return useQuery({
    queryKey: ['users', 'teacher-options'],
    queryFn: ({ signal }) => api<Page<User>>('/api/users', { query: { role: 'teacher', limit: 200 }, signal }),
    select: (page) => page.items.map((u) => ({ value: u.id, label: u.staffNumber ? `${u.name} (${u.staffNumber})` : u.name })),
    enabled,
    staleTime: 60_000,
    meta: { inlineErrors: true },
  });
}

/** Students matching a search, for enrolling by name or number. */
export function useStudentSearch(q: string) {
  return useQuery({
    queryKey: ['users', 'student-search', q],
    queryFn: ({ signal }) => api<Page<User>>('/api/users', { query: { role: 'student', q: q.trim() || undefined, limit: 20 }, signal }),
    placeholderData: keepPreviousData,
    meta: { inlineErrors: true },
  });
}
