import { useQuery } from '@tanstack/react-query';
import type { CourseReport } from '../../../../../common/report.schemas.js';
import { api } from '../../../lib/api-client.js';

export type ReportItem = CourseReport['items'][number];

export const courseReportQueryKey = (courseId: string) => ['courses', 'report', courseId] as const;

const base = (courseId: string) => `/api/courses/${encodeURIComponent(courseId)}`;

/** Every enrolled student's figures over the course's held sessions (course staff only). */
export function useCourseReport(courseId: string) {
  return useQuery({
    queryKey: courseReportQueryKey(courseId),
    queryFn: ({ signal }) => api<CourseReport>(`${base(courseId)}/report`, { signal }),
    meta: { inlineErrors: true },
  });
}

/** Downloads (cookie-authenticated, so a plain link fetches them). */
export const reportCsvHref = (courseId: string) => `${base(courseId)}/report.csv`;
export const recordsCsvHref = (courseId: string) => `${base(courseId)}/records.csv`;
