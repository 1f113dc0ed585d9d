import type { FastifyInstance } from 'fastify';
import type { AttendanceRecord } from '../../../common/attendance.schemas.js';
import { sessionTopic } from '../../../common/live-events.js';
import { deliverLocally } from '../../realtime/live-events.js';
import { courseOfSession, sessionSummary, type RecordRow } from './records.repository.js';

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
const SESSION_TOPIC = 'session:';
/** The frames that change a session's counts (its records, or its course's roster): `{"event":"CHECKIN",…`. */
const RECORD_EVENTS = ['CHECKIN', 'RECORD_UPDATED', 'RECORD_DELETED', 'ROSTER_CHANGED'].map((e) => `{"event":"${e}",`);

/**
 * Publishes SUMMARY for a session soon after its records change, coalescing a burst of check-ins
 * into one count (a 1,000-student burst would otherwise run 1,000 counts) — and only where someone
 * watches: a node counts for the sockets it holds on the session's topic, when a record event (or a
 * roster change) reaches them (its own or another node's, through the bus), and sends the SUMMARY to
 * those sockets only. With the teacher's screen on one node, that node alone counts however many nodes take the
 * check-ins, no SUMMARY crosses Redis, and a session nobody watches costs no count at all.
 */
export class SummaryPublisher {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly app: FastifyInstance) {}

  /** Every event of a topic some socket here listens to (SocketHub). */
  onFrame(topic: string, frame: string): void {
    if (!topic.startsWith(SESSION_TOPIC) || !RECORD_EVENTS.some((p) => frame.startsWith(p))) return;
    this.schedule(topic.slice(SESSION_TOPIC.length));
  }

  schedule(sessionId: string): void {
    if (this.timers.has(sessionId)) return;
    const t = setTimeout(() => {
      this.timers.delete(sessionId);
      this.publish(sessionId).catch((err) => this.app.log.warn({ err, sessionId }, 'could not publish the session summary'));
    }, SUMMARY_COALESCE_MS);
    t.unref();
    this.timers.set(sessionId, t);
  }

  private async publish(sessionId: string): Promise<void> {
    const courseId = (await this.app.openSessions.get(sessionId))?.courseId ?? (await courseOfSession(this.app.db, sessionId));
    if (!courseId) return;
    const summary = await sessionSummary(this.app.db, sessionId, courseId);
    deliverLocally(this.app.bus, sessionTopic(sessionId), 'SUMMARY', { sessionId, summary });
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
