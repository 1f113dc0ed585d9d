import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  Absence,
  AbsenceDecisionInput,
  AbsenceState,
  Attachment,
  CreateAbsenceInput,
} from '../../../../../common/absence.schemas.js';
import type { Course } from '../../../../../common/course.schemas.js';
import type { MySession } from '../../../../../common/calendar.schemas.js';
import { api, ApiError } from '../../../lib/api-client.js';

export const absencesQueryKey = ['absences'] as const;

export interface AbsenceFilter {
  state?: AbsenceState;
  courseId?: string;
  limit?: number;
}

/** Requests the signed-in user may see (own / their courses' / all), newest first. */
export function useAbsences(filter: AbsenceFilter = {}) {
  return useQuery({
    queryKey: [...absencesQueryKey, 'list', filter],
    queryFn: ({ signal }) =>
      api<{ items: Absence[]; nextCursor: string | null }>('/api/absences', { query: { limit: 100, ...filter }, signal }),
    select: (page) => page.items,
    meta: { inlineErrors: true },
  });
}

/** How many requests wait for the teacher's (or admin's) decision: the navigation's badge. */
export function useAbsenceCounts(enabled: boolean) {
  return useQuery({
    queryKey: [...absencesQueryKey, 'counts'],
    queryFn: ({ signal }) => api<{ pending: number }>('/api/absences/counts', { signal }),
    enabled,
    refetchInterval: 60_000,
  });
}

export function useCreateAbsence() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateAbsenceInput) => api<Absence>('/api/absences', { method: 'POST', body: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: absencesQueryKey }),
    meta: { inlineErrors: true },
  });
}

export function useDecideAbsence() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...input }: AbsenceDecisionInput & { id: string }) =>
      api<Absence>(`/api/absences/${encodeURIComponent(id)}/decision`, { method: 'POST', body: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: absencesQueryKey }),
  });
}

export function useWithdrawAbsence() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<Absence>(`/api/absences/${encodeURIComponent(id)}/withdraw`, { method: 'POST' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: absencesQueryKey }),
  });
}

export const attachmentUrl = (absenceId: string, attachmentId: string) =>
  `/api/absences/${encodeURIComponent(absenceId)}/attachments/${encodeURIComponent(attachmentId)}`;

/**
 * Uploads one file with progress (fetch cannot report upload progress; XMLHttpRequest can). The
 * access cookie goes along; the Origin header the browser adds satisfies the server's check.
 */
export function uploadAttachment(absenceId: string, file: File, onProgress: (fraction: number) => void): Promise<Attachment> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/absences/${encodeURIComponent(absenceId)}/attachments`);
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: reported below by status
      }
      if (xhr.status === 201) {
        onProgress(1);
        resolve(body as Attachment);
      } else {
        const p = (body ?? {}) as { title?: string; detail?: string; code?: string; errors?: { path: string; message: string }[] };
        reject(new ApiError({ status: xhr.status, code: p.code ?? 'upload_failed', title: p.title ?? 'Upload failed', detail: p.detail ?? `The upload failed (${xhr.status}).`, errors: p.errors }));
      }
    };
    xhr.onerror = () => reject(new ApiError({ status: 0, code: 'network_error', title: 'Upload failed', detail: 'The connection was lost during the upload.' }));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** The attachment as a blob URL for an inline preview (the download itself is `attachment`). */
export async function attachmentBlobUrl(absenceId: string, attachmentId: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(attachmentUrl(absenceId, attachmentId), { credentials: 'same-origin', signal });
  if (!res.ok) throw new ApiError({ status: res.status, code: 'download_failed', title: 'Could not load the file', detail: `The file could not be loaded (${res.status}).` });
  return URL.createObjectURL(await res.blob());
}

/** The student's courses, to pick the one the request is for. */
export function useMyCourses() {
  return useQuery({
    queryKey: ['me', 'courses'],
    queryFn: ({ signal }) => api<{ items: Course[] }>('/api/me/courses', { signal }),
    select: (d) => d.items,
  });
}

/** The student's sessions in a window (calendar feed), with their record if any. */
export function useMySessionsBetween(from: string, to: string) {
  return useQuery({
    queryKey: ['me', 'sessions', 'absences', from, to],
    queryFn: ({ signal }) => api<{ items: MySession[] }>('/api/me/sessions', { query: { from, to }, signal }),
    select: (d) => d.items,
  });
}
