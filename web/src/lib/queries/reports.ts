import { queryOptions } from '@tanstack/react-query';
import type { CourseGrid, Overview } from '../../../../common/report.schemas.js';
import type { Warning } from '../../../../common/warning.schemas.js';
import { api } from '../api-client.js';

const course = (courseId: string) => `/api/courses/${encodeURIComponent(courseId)}`;

/** Students × held sessions of a course (course staff). */
export const courseGridQuery = (courseId: string) =>
  queryOptions({
    queryKey: ['courses', 'grid', courseId] as const,
    queryFn: ({ signal }) => api<CourseGrid>(`${course(courseId)}/grid`, { signal }),
  });

export interface OverviewFilters {
  from?: string;
  to?: string;
  departmentId?: string;
  term?: string;
}

/** The institution's figures (admins). */
export const overviewQuery = (filters: OverviewFilters) =>
  queryOptions({
    queryKey: ['reports', 'overview', filters] as const,
    queryFn: ({ signal }) => api<Overview>('/api/reports/overview', { signal, query: { ...filters } }),
  });

/** The same figures over the caller's own courses (the teacher's home). */
export const myCoursesOverviewQuery = () =>
  queryOptions({
    queryKey: ['reports', 'my-courses'] as const,
    queryFn: ({ signal }) => api<Overview>('/api/reports/my-courses', { signal }),
  });

/** Open warnings the caller may see (staff: their courses; a course id narrows it). */
export const openWarningsQuery = (courseId?: string) =>
  queryOptions({
    queryKey: ['warnings', 'open', courseId ?? 'all'] as const,
    queryFn: ({ signal }) =>
      api<{ items: Warning[]; nextCursor: string | null }>('/api/warnings', { signal, query: { state: 'open', limit: '200', courseId } }),
  });

/** A student's own open warnings. */
export const myWarningsQuery = () =>
  queryOptions({
    queryKey: ['warnings', 'mine'] as const,
    queryFn: ({ signal }) => api<{ items: Warning[] }>('/api/me/warnings', { signal }),
  });

/** Downloads (cookie-authenticated, so a plain link fetches them). */
export const reportXlsxHref = (courseId: string) => `${course(courseId)}/report.xlsx`;
export const reportPdfHref = (courseId: string) => `${course(courseId)}/report.pdf`;
export const signInSheetHref = (sessionId: string) => `/api/sessions/${encodeURIComponent(sessionId)}/sheet.pdf`;
