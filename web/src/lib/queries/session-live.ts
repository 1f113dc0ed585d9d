import { queryOptions, type QueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import type { AttendanceRecord, codeResponseSchema, recordStudentSchema, recordsResponseSchema, Summary } from '../../../../common/attendance.schemas.js';
import type { CourseStudent } from '../../../../common/course.schemas.js';
import type { Session } from '../../../../common/session.schemas.js';
import { api } from '../api-client.js';

/**
 * One session's live store: its session, records + summary and code are read through these
 * factories by the live page, the projector and the roll call alike, and kept current by one
 * reducer (lib/use-session-live.ts). The course and its roster come from lib/queries/courses.ts.
 */
export const sessionLiveKeys = {
  all: (sessionId: string) => ['sessions', 'live', sessionId] as const,
  session: (sessionId: string) => [...sessionLiveKeys.all(sessionId), 'session'] as const,
  records: (sessionId: string) => [...sessionLiveKeys.all(sessionId), 'records'] as const,
  code: (sessionId: string) => [...sessionLiveKeys.all(sessionId), 'code'] as const,
  audit: (sessionId: string, studentId: string) => [...sessionLiveKeys.all(sessionId), 'audit', studentId] as const,
};

export const sessionPath = (sessionId: string) => `/api/sessions/${encodeURIComponent(sessionId)}`;

export type RecordStudent = z.infer<typeof recordStudentSchema>;
export type RecordWithStudent = AttendanceRecord & { student: RecordStudent };
export type SessionCode = z.infer<typeof codeResponseSchema>;
type RecordsResponse = z.infer<typeof recordsResponseSchema>;

/** A record as the store holds it. `liveAt` (this browser's clock): when an event or a reply put it here. */
export interface HeldRecord extends AttendanceRecord {
  student?: RecordStudent;
  liveAt?: number;
}

/** The records part of the store; `summary` is absent only before the first snapshot. */
export interface RecordsState {
  /** By student id. */
  byStudent: Record<string, HeldRecord>;
  /**
   * Ids of records deleted while this page was open: a snapshot still holding one was read before
   * the deletion. (A record made again for the same student gets a new id.)
   */
  deleted: string[];
  summary?: Summary;
}

/** What the records query holds: a snapshot with every live change since applied on top. */
export interface SessionRecords extends RecordsState {
  summary: Summary;
}

export const EMPTY_RECORDS: RecordsState = { byStudent: {}, deleted: [] };

/**
 * Puts one record (from an event or a reply) into the state unless what is held is as new or newer
 * (same record, version not lower) or the record was deleted meanwhile. Returns the same state when
 * nothing changed.
 */
export function putRecord<S extends RecordsState>(state: S, record: AttendanceRecord, student?: RecordStudent, now = Date.now()): S {
  if (state.deleted.includes(record.id)) return state;
  const mine = state.byStudent[record.studentId];
  if (mine && mine.id === record.id && mine.version >= record.version) {
    // Same version, but the event names a student the store could not: keep the name.
    if (student && !mine.student) return { ...state, byStudent: { ...state.byStudent, [record.studentId]: { ...mine, student } } };
    return state;
  }
  return {
    ...state,
    byStudent: { ...state.byStudent, [record.studentId]: { ...record, student: student ?? mine?.student, liveAt: now } },
  };
}

/** Takes a student's record out (RECORD_DELETED or an admin's delete) and remembers its id as deleted. */
export function dropRecord<S extends RecordsState>(state: S, studentId: string, recordId?: string): S {
  const mine = state.byStudent[studentId];
  const id = recordId ?? mine?.id;
  const byStudent = { ...state.byStudent };
  if (mine && (recordId === undefined || mine.id === recordId)) delete byStudent[studentId];
  return { ...state, byStudent, deleted: id && !state.deleted.includes(id) ? [...state.deleted, id] : state.deleted };
}

/**
 * Merges a fresh snapshot with what is held. Per student the higher version of the same record wins
 * (an event may be newer than a snapshot that was on its way); a record the snapshot lacks, or a
 * different record than the snapshot's, is kept only if it arrived live after the snapshot was asked
 * for (otherwise the snapshot is newer: it was deleted, or replaced); deleted records stay out.
 */
export function mergeSnapshot(held: RecordsState | undefined, fresh: RecordsResponse, askedAt: number): SessionRecords {
  const deleted = held?.deleted ?? [];
  const heldById = held?.byStudent ?? {};
  const arrivedSince = (r: HeldRecord | undefined) => r !== undefined && r.liveAt !== undefined && r.liveAt >= askedAt;
  const byStudent: Record<string, HeldRecord> = {};
  for (const item of fresh.items) {
    if (deleted.includes(item.id)) continue;
    const mine = heldById[item.studentId];
    const keepMine = mine && (mine.id === item.id ? mine.version > item.version : arrivedSince(mine));
    byStudent[item.studentId] = keepMine ? { ...mine, student: mine.student ?? item.student } : item;
  }
  for (const mine of Object.values(heldById)) {
    if (!byStudent[mine.studentId] && arrivedSince(mine)) byStudent[mine.studentId] = mine;
  }
  return { byStudent, deleted, summary: fresh.summary };
}

/** Newest check-in first; records without a check-in time (marked or auto-absent) after, latest change first. */
export function sortRecords<R extends AttendanceRecord>(items: R[]): R[] {
  return [...items].sort((a, b) => {
    if (a.checkedInAt === b.checkedInAt) return b.updatedAt.localeCompare(a.updatedAt);
    if (a.checkedInAt === null) return 1;
    if (b.checkedInAt === null) return -1;
    return b.checkedInAt.localeCompare(a.checkedInAt);
  });
}

/**
 * The held records as a list, each with its student (from the record, or else from the roster).
 * A record naming nobody known yet is left out until a snapshot brings the name.
 */
export function recordList(state: RecordsState | undefined, roster?: CourseStudent[]): RecordWithStudent[] {
  if (!state) return [];
  const byId = new Map((roster ?? []).map((s) => [s.id, s]));
  const list: RecordWithStudent[] = [];
  for (const r of Object.values(state.byStudent)) {
    const known = byId.get(r.studentId);
    const student = r.student ?? (known ? { id: known.id, name: known.name, studentNumber: known.studentNumber } : undefined);
    if (student) list.push({ ...r, student });
  }
  return sortRecords(list);
}

// Record events that arrive before the first snapshot is held: applied on top of it when it lands.
const early = new Map<string, RecordsState>();

/** Changes the session's held records; before the first snapshot the change is kept for it. */
export function updateRecords(queryClient: QueryClient, sessionId: string, change: (state: RecordsState) => RecordsState): void {
  const key = sessionLiveKeys.records(sessionId);
  if (queryClient.getQueryData<SessionRecords>(key)) {
    queryClient.setQueryData<SessionRecords>(key, (held) => (held ? { ...change(held), summary: held.summary } : held));
  } else {
    early.set(sessionId, change(early.get(sessionId) ?? EMPTY_RECORDS));
  }
}

/** Puts records from a reply (a mark, a confirmation) into their sessions' stores, by version. */
export function storeRecords(queryClient: QueryClient, records: AttendanceRecord[]): void {
  for (const record of records) updateRecords(queryClient, record.sessionId, (s) => putRecord(s, record));
}

export const getSessionRecords = (sessionId: string, signal?: AbortSignal) =>
  api<RecordsResponse>(`${sessionPath(sessionId)}/records`, { signal });

/** The session with its policy (staff). */
export const sessionQuery = (sessionId: string) =>
  queryOptions({
    queryKey: sessionLiveKeys.session(sessionId),
    queryFn: ({ signal }) => api<Session>(sessionPath(sessionId), { signal }),
  });

/**
 * The session's records and summary: a REST snapshot merged with what is held (and with events
 * that came before it), which the live events then keep current.
 */
export const sessionRecordsQuery = (queryClient: QueryClient, sessionId: string) =>
  queryOptions({
    queryKey: sessionLiveKeys.records(sessionId),
    queryFn: async ({ signal }): Promise<SessionRecords> => {
      const askedAt = Date.now();
      const fresh = await getSessionRecords(sessionId, signal);
      const held = queryClient.getQueryData<SessionRecords>(sessionLiveKeys.records(sessionId)) ?? early.get(sessionId);
      early.delete(sessionId);
      return mergeSnapshot(held, fresh, askedAt);
    },
    staleTime: Infinity,
  });

/** The current typed code and QR URL of an open session; CODE_ROTATED replaces it live. */
export const sessionCodeQuery = (sessionId: string) =>
  queryOptions({
    queryKey: sessionLiveKeys.code(sessionId),
    queryFn: ({ signal }) => api<SessionCode>(`${sessionPath(sessionId)}/code`, { signal }),
    staleTime: Infinity,
  });
