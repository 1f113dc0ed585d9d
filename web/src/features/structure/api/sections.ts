import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateSectionInput, Section, UpdateSectionInput } from '../../../../../common/structure.schemas.js';
import { api } from '../../../lib/api-client.js';

export const sectionsQueryKey = ['sections'] as const;

interface SectionPage {
  items: Section[];
  nextCursor: string | null;
}

export interface SectionsFilter {
  q: string;
  departmentId: string | null;
}

export const getSections = (filter: SectionsFilter, cursor: string | undefined, signal?: AbortSignal) =>
  api<SectionPage>('/api/sections', {
    query: { q: filter.q.trim() || undefined, departmentId: filter.departmentId ?? undefined, limit: 200, cursor },
    signal,
  });

export function useSectionPages(filter: SectionsFilter) {
  return useInfiniteQuery({
    queryKey: [...sectionsQueryKey, 'list', filter],
    queryFn: ({ pageParam, signal }) => getSections(filter, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    meta: { inlineErrors: true },
  });
}

export function useSaveSection() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }: { id: string | null; input: CreateSectionInput | UpdateSectionInput }) =>
      id
        ? api<Section>(`/api/sections/${encodeURIComponent(id)}`, { method: 'PATCH', body: input })
        : api<Section>('/api/sections', { method: 'POST', body: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sectionsQueryKey }),
    meta: { inlineErrors: true },
  });
}

export function useDeleteSection() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/sections/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sectionsQueryKey }),
    meta: { inlineErrors: true },
  });
}
