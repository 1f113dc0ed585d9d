import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import type {
  CreateDepartmentInput,
  Department,
  UpdateDepartmentInput,
} from '../../../../../common/structure.schemas.js';
import { api } from '../../../lib/api-client.js';

export const departmentsQueryKey = ['departments'] as const;

interface DepartmentPage {
  items: Department[];
  nextCursor: string | null;
}

export const getDepartments = (q: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<DepartmentPage>('/api/departments', { query: { q: q.trim() || undefined, limit: 200, cursor }, signal });

export function useDepartmentPages(q = '') {
  return useInfiniteQuery({
    queryKey: [...departmentsQueryKey, 'list', { q }],
    queryFn: ({ pageParam, signal }) => getDepartments(q, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    meta: { inlineErrors: true },
  });
}

export function useSaveDepartment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }: { id: string | null; input: CreateDepartmentInput | UpdateDepartmentInput }) =>
      id
        ? api<Department>(`/api/departments/${encodeURIComponent(id)}`, { method: 'PATCH', body: input })
        : api<Department>('/api/departments', { method: 'POST', body: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: departmentsQueryKey }),
    meta: { inlineErrors: true },
  });
}

export function useDeleteDepartment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/departments/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: departmentsQueryKey }),
    meta: { inlineErrors: true },
  });
}
