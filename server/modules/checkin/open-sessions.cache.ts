import type { Kysely } from 'kysely';
import type { SessionPolicy } from '../../../common/session.schemas.js';
import { parsePolicy } from './checkin-policy.js';
import type { Database } from '../../db/database.js';
import { openAndRecentSessions } from '../live-sessions/live-sessions.repository.js';
import { codeStateOf } from '../live-sessions/live-sessions.service.js';
import type { SessionCodeState } from './codes.js';

export interface CodeSession {
  id: string;
  courseId: string;
  courseCode: string;
  courseName: string;
  number: number;
  title: string | null;
  state: 'open' | 'closed';
  startsAt: string;
  openedAt: string;
  policy: SessionPolicy;
  code: SessionCodeState;
}

const TTL_MS = 1000;
const RECENT_CLOSED_MS = 2 * 3600_000;

/**
 * Sessions whose codes a typed code is matched against: the open ones and those closed in the last
 * two hours (an old code then says "closed" rather than "wrong"). Cached for a second per node so a
 * burst of check-ins costs one query; the check-in transaction re-reads the state, so a session
 * closed on another node within that second is still refused.
 */
export class OpenSessionCache {
  private cached: { at: number; list: Promise<CodeSession[]> } | null = null;

  constructor(private readonly db: Kysely<Database>) {}

  list(now = Date.now()): Promise<CodeSession[]> {
    if (this.cached && now - this.cached.at < TTL_MS) return this.cached.list;
    const list = this.load(now);
    this.cached = { at: now, list };
    list.catch(() => {
      if (this.cached?.list === list) this.cached = null;
    });
    return list;
  }

  invalidate(): void {
    this.cached = null;
  }

  private async load(now: number): Promise<CodeSession[]> {
    const rows = await openAndRecentSessions(this.db, new Date(now - RECENT_CLOSED_MS).toISOString());
    const out: CodeSession[] = [];
    for (const r of rows) {
      if (!r.code_secret || !r.opened_at) continue;
      const policy = parsePolicy(r.policy);
      out.push({
        id: r.id,
        courseId: r.course_id,
        courseCode: r.course_code,
        courseName: r.course_name,
        number: r.number,
        title: r.title,
        state: r.state === 'open' ? 'open' : 'closed',
        startsAt: r.starts_at,
        openedAt: r.opened_at,
        policy,
        code: codeStateOf(r, policy)!,
      });
    }
    return out;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    openSessions: OpenSessionCache;
  }
}
