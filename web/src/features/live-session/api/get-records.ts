import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import type { recordWithStudentSchema, Summary } from '../../../../../common/attendance.schemas.js';
import { api } from '../../../lib/api-client.js';

export type RecordWithStudent = z.infer<typeof recordWithStudentSchema>;

export interface SessionRecords {
  items: RecordWithStudent[];
  summary: Summary;
}

export const recordsQueryKey = (sessionId: string) => ['sessions', sessionId, 'records'] as const;

export const getSessionRecords = (sessionId: string, signal?: AbortSignal) =>
  api<SessionRecords>(`/api/sessions/${encodeURIComponent(sessionId)}/records`, { signal });

/** Newest check-in first; records without a check-in time (auto-absent) last. */
export function sortRecords(items: RecordWithStudent[]): RecordWithStudent[] {
  return [...items].sort((a, b) => {
    if (a.checkedInAt === b.checkedInAt) return b.updatedAt.localeCompare(a.updatedAt);
    if (a.checkedInAt === null) return 1;
    if (b.checkedInAt === null) return -1;
    return b.checkedInAt.localeCompare(a.checkedInAt);
  });
}

/**
 * Keeps, per student, whichever copy has the higher version: a snapshot taken while events were
 * arriving must not roll back a newer record, nor drop one that arrived live meanwhile.
 */
export function mergeRecords(held: RecordWithStudent[] | undefined, incoming: RecordWithStudent[]): RecordWithStudent[] {
  const byStudent = new Map<string, RecordWithStudent>();
  for (const r of held ?? []) byStudent.set(r.studentId, r);
  for (const r of incoming) {
    const mine = byStudent.get(r.studentId);
    if (!mine || mine.version <= r.version) byStudent.set(r.studentId, r);
  }
  return sortRecords([...byStudent.values()]);
}

async function fetchMerged(queryClient: QueryClient, sessionId: string, signal: AbortSignal): Promise<SessionRecords> {
  const fresh = await getSessionRecords(sessionId, signal);
  const held = queryClient.getQueryData<SessionRecords>(recordsQueryKey(sessionId));
  return { items: mergeRecords(held?.items, fresh.items), summary: fresh.summary };
}

/** The session's records and summary: a REST snapshot that the live events then keep current. */
export function useSessionRecords(sessionId: string, enabled = true) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: recordsQueryKey(sessionId),
    queryFn: ({ signal }) => fetchMerged(queryClient, sessionId, signal),
    enabled,
    staleTime: Infinity,
    meta: { inlineErrors: true },
  });
}
