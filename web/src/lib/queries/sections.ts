import { queryOptions } from '@tanstack/react-query';
import type { Section } from '../../../../common/structure.schemas.js';
import { api } from '../api-client.js';

/** Every section as Select options ("BIO-1A (2026)"), shared by the course, enroll and user forms. */
export const sectionOptionsQuery = () =>
  queryOptions({
    queryKey: ['sections', 'options'],
    queryFn: ({ signal }) => api<{ items: Section[] }>('/api/sections', { query: { limit: 200 }, signal }),
    select: (page) => page.items.map((s) => ({ value: s.id, label: s.cohort ? `${s.name} (${s.cohort})` : s.name })),
    staleTime: 60_000,
  });
