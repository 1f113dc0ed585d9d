import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { sessionLiveKeys, type RecordWithStudent } from '../../../lib/queries/session-live.js';

const EVERY_MS = 4_000;

/**
 * `record.sync` moves without a live event (a delivery succeeds later), and records that arrive live
 * carry none: while any record is still syncing, or live records sit next to synced ones, the
 * records snapshot is taken again every few seconds. Nothing happens where no webhook exists (every
 * sync is null).
 */
export function useSyncRefresh(sessionId: string, items: RecordWithStudent[]): void {
  const queryClient = useQueryClient();
  const anySynced = items.some((r) => r.sync !== null);
  const needs = items.some((r) => r.sync === 'pending') || (anySynced && items.some((r) => r.sync === null));
  useEffect(() => {
    if (!needs) return;
    const t = setInterval(() => void queryClient.invalidateQueries({ queryKey: sessionLiveKeys.records(sessionId), exact: true }), EVERY_MS);
    return () => clearInterval(t);
  }, [needs, queryClient, sessionId]);
}
