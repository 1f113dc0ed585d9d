import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import type { AttendanceRecord, recordStudentSchema, Summary } from '../../../../../common/attendance.schemas.js';
import { api } from '../../../lib/api-client.js';
import { rollCallKey } from './get-session.js';

export type RecordStudent = z.infer<typeof recordStudentSchema>;

/** A record as the grid holds it. `liveAt` (this browser's clock) says when an event or a reply put it here. */
export interface HeldRecord extends AttendanceRecord {
  student?: RecordStudent;
  liveAt?: number;
}

export interface RollCallRecords {
  /** By student id. */
  records: Record<string, HeldRecord>;
  summary: Summary;
}

interface RecordsResponse {
  items: (AttendanceRecord & { student: RecordStudent })[];
  summary: Summary;
}

export const recordsKey = (sessionId: string) => [...rollCallKey(sessionId), 'records'] as const;

export const getRecords = (sessionId: string, signal?: AbortSignal) =>
  api<RecordsResponse>(`/api/sessions/${encodeURIComponent(sessionId)}/records`, { signal });

/**
 * Merges a fresh snapshot with what is held: per student the higher version wins (an event may be
 * newer than a snapshot that was on its way), and a record the snapshot lacks is kept only if it
 * arrived live after the snapshot was asked for (otherwise it is gone, e.g. deleted).
 */
export function mergeSnapshot(held: RollCallRecords | undefined, fresh: RecordsResponse, askedAt: number): RollCallRecords {
  const records: Record<string, HeldRecord> = {};
  for (const item of fresh.items) {
    const mine = held?.records[item.studentId];
    records[item.studentId] = mine && mine.version > item.version ? mine : item;
  }
  for (const mine of Object.values(held?.records ?? {})) {
    if (!records[mine.studentId] && mine.liveAt !== undefined && mine.liveAt >= askedAt) records[mine.studentId] = mine;
  }
  return { records, summary: fresh.summary };
}

/**
 * Puts one record (from an event or a reply) into the held set unless what is held is as new or
 * newer. Returns the new data, or null when the record was stale.
 */
export function applyRecord(held: RollCallRecords, record: AttendanceRecord, student?: RecordStudent): RollCallRecords | null {
  const mine = held.records[record.studentId];
  if (mine && mine.version >= record.version) return null;
  return {
    ...held,
    records: { ...held.records, [record.studentId]: { ...record, student: student ?? mine?.student, liveAt: Date.now() } },
  };
}

/** Applies a record to the cached records of its session (no-op while no snapshot is held). */
export function storeRecord(queryClient: QueryClient, record: AttendanceRecord, student?: RecordStudent): boolean {
  const key = recordsKey(record.sessionId);
  const held = queryClient.getQueryData<RollCallRecords>(key);
  if (!held) return false;
  const next = applyRecord(held, record, student);
  if (next) queryClient.setQueryData(key, next);
  return next !== null;
}

async function fetchMerged(queryClient: QueryClient, sessionId: string, signal: AbortSignal): Promise<RollCallRecords> {
  const askedAt = Date.now();
  const fresh = await getRecords(sessionId, signal);
  return mergeSnapshot(queryClient.getQueryData<RollCallRecords>(recordsKey(sessionId)), fresh, askedAt);
}

/** The session's records and summary: a REST snapshot that live events and our own marks keep current. */
export function useRollCallRecords(sessionId: string, enabled: boolean) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: recordsKey(sessionId),
    queryFn: ({ signal }) => fetchMerged(queryClient, sessionId, signal),
    enabled,
    staleTime: Infinity,
    meta: { inlineErrors: true },
  });
}
