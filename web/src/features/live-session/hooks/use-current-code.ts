import { useEffect, useRef, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { sessionCodeQuery, sessionLiveKeys } from '../../../lib/queries/session-live.js';

/**
 * The session's current code while it is open. CODE_ROTATED normally replaces it; as a fallback the
 * code is fetched again when it expires (never more often than every 2 s, in case this device's
 * clock runs ahead of the server's).
 */
export function useCurrentCode(sessionId: string, open: boolean) {
  const queryClient = useQueryClient();
  const code = useQuery({ ...sessionCodeQuery(sessionId), enabled: open, meta: { inlineErrors: true } });
  const expiresAt = code.data?.expiresAt;
  const lastFetchedFor = useRef<string | null>(null);

  useEffect(() => {
    if (!open || !expiresAt) return;
    const sameAsBefore = lastFetchedFor.current === expiresAt;
    lastFetchedFor.current = expiresAt;
    const wait = Math.max(Date.parse(expiresAt) - Date.now() + 300, sameAsBefore ? 2000 : 250);
    const timer = setTimeout(() => {
      void queryClient.invalidateQueries({ queryKey: sessionLiveKeys.code(sessionId), exact: true });
    }, wait);
    return () => clearTimeout(timer);
  }, [open, expiresAt, sessionId, queryClient, code.dataUpdatedAt]);

  return code;
}

/** Whole seconds until `iso` (0 once past), ticking every second. */
export function useSecondsLeft(iso: string | undefined): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!iso) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [iso]);
  if (!iso) return null;
  return Math.max(0, Math.ceil((Date.parse(iso) - now) / 1000));
}

export function formatSeconds(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}
