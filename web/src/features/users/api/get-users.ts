import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import type { Role, User } from '../../../../../common/user.schemas.js';
import { api } from '../../../lib/api-client.js';

export interface UsersFilter {
  role: Role | 'all';
  q: string;
  active: 'true' | 'false' | 'all';
}

export interface UsersPage {
  items: User[];
  nextCursor: string | null;
}

export const USERS_PAGE_SIZE = 50;

export const usersQueryKey = ['users'] as const;

export function getUsers(filter: UsersFilter, cursor: string | undefined, signal?: AbortSignal): Promise<UsersPage> {
  return api<UsersPage>('/api/users', {
    query: {
      role: filter.role === 'all' ? undefined : filter.role,
      q: filter.q.trim() || undefined,
      active: filter.active,
      limit: USERS_PAGE_SIZE,
      cursor,
    },
    signal,
  });
}

/** Pages of users for the admin table; "Load more" follows `nextCursor`. */
export function useUsers(filter: UsersFilter) {
  return useInfiniteQuery({
    queryKey: [...usersQueryKey, 'list', filter],
    queryFn: ({ pageParam, signal }) => getUsers(filter, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Typing in the search box keeps the old rows on screen until the new ones arrive.
    placeholderData: keepPreviousData,
    meta: { inlineErrors: true },
  });
}
