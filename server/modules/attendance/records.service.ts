import type { FastifyInstance } from 'fastify';
import type { AttendanceRecord } from '../../../common/attendance.schemas.js';
import { sessionTopic } from '../../../common/live-events.js';
import { publish } from '../../realtime/live-events.js';
import { sessionSummary, type RecordRow } from './records.repository.js';

export function toRecord(row: RecordRow): AttendanceRecord {
  return {
    id: row.id,
    sessionId: row.session_id,
    studentId: row.student_id,
    status: row.status,
    state: row.state,
    method: row.method,
    checkedInAt: row.checked_in_at,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    note: row.note,
    flags: parseFlags(row.flags),
    version: row.version,
    sync: null,
  };
}

export function parseFlags(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

const SUMMARY_COALESCE_MS = 150;

/**
 * Publishes SUMMARY for a session soon after a change, coalescing a burst of check-ins into one
 * count query (a 1,000-student burst would otherwise run 1,000 counts).
 */
export class SummaryPublisher {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly app: FastifyInstance) {}

  schedule(sessionId: string, courseId: string): void {
    if (this.timers.has(sessionId)) return;
    const t = setTimeout(() => {
      this.timers.delete(sessionId);
      sessionSummary(this.app.db, sessionId, courseId)
        .then((summary) => publish(this.app.bus, sessionTopic(sessionId), 'SUMMARY', { sessionId, summary }))
        .catch((err) => this.app.log.warn({ err, sessionId }, 'could not publish the session summary'));
    }, SUMMARY_COALESCE_MS);
    t.unref();
    this.timers.set(sessionId, t);
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    summaries: SummaryPublisher;
  }
}
