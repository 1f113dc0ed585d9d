import type { Kysely } from 'kysely';
import type { SessionPolicy } from '../../../common/session.schemas.js';
import type { Database, SessionKind } from '../../db/database.js';
import { codeStateOf } from '../live-sessions/live-sessions.service.js';
import { parsePolicy } from './checkin-policy.js';
import { acceptedKeys, codeKey, codeMatcher, type SessionCodeState } from './codes.js';
import { codeSessionRows, type CodeSessionRow } from './open-sessions.repository.js';

export interface CodeSession {
  id: string;
  courseId: string;
  courseCode: string;
  courseName: string;
  kind: SessionKind;
  number: number | null;
  title: string | null;
  state: 'open' | 'closed';
  startsAt: string;
  openedAt: string;
  policy: SessionPolicy;
  code: SessionCodeState;
}

/** How often a node looks for sessions opened, changed or closed elsewhere. */
const TTL_MS = 1000;
/** How long a closed session's code still answers "closed" rather than "wrong". */
const RECENT_CLOSED_MS = 2 * 3600_000;
/**
 * An incremental look asks for `updated_at` at or after its previous look's start minus this: a
 * change's `updated_at` is taken by its node's clock before its transaction commits, so a slow
 * commit or a node whose clock is a little behind is still seen.
 */
const OVERLAP_MS = 10_000;
/** A full re-read this often catches what `updated_at` does not tell (a course renamed, clocks far apart). */
const RECONCILE_MS = 60_000;

interface Entry {
  session: CodeSession;
  /** The row's fields the entry was built from: an unchanged row is not parsed again. */
  signature: string;
  closedAtMs: number | null;
  /** The index keys this entry is filed under (codes and QR tokens of its accepted steps). */
  codes: string[];
  tokens: string[];
  /** Bumped on every re-index; heap items of older generations are stale. */
  generation: number;
}

interface Due {
  at: number;
  id: string;
  generation: number;
}

/**
 * Sessions whose codes a typed code is matched against: the open ones and those closed in the last
 * two hours (an old code then says "closed" rather than "wrong").
 *
 * A check-in's cost does not depend on how many sessions are open: the codes and QR tokens each
 * session accepts right now are indexed (code → sessions), and re-indexed per session when its step
 * ends (a heap of step ends), so a lookup is one Map read plus the exact check on the few candidates.
 * Every second a node asks the database only for the sessions changed since its last look (an index
 * on `updated_at`, migration 0011) and parses only those; a full re-read happens every minute and after
 * `invalidate()`. The check-in transaction re-reads the session's state, so a session closed on another
 * node within that second is still refused.
 */
export class OpenSessionCache {
  private entries = new Map<string, Entry>();
  private byCode = new Map<string, CodeSession[]>();
  private byToken = new Map<string, CodeSession[]>();
  private byDevice = new Map<string, Set<string>>();
  private heap: Due[] = [];
  /** The latest time the index was brought to; an earlier `now` falls back to trying every session. */
  private indexedAt = -Infinity;

  private syncedAt = -Infinity;
  private fullAt = -Infinity;
  /** Wall-clock start of the last successful look: the next incremental one starts from here. */
  private watermark = 0;
  private generation = 0;
  /** Source of entry generations (unique across entries, so a removed entry's heap items never match a new one). */
  private sequence = 0;
  private syncedGeneration = -1;
  private needFull = true;
  private pending: { promise: Promise<void>; generation: number } | null = null;

  constructor(private readonly db: Kysely<Database>) {}

  /** Every cached session (open and recently closed). */
  async list(now = Date.now()): Promise<CodeSession[]> {
    await this.ready(now);
    return [...this.entries.values()].map((e) => e.session);
  }

  /** The cached session with this id, if it is open or recently closed. */
  async get(id: string, now = Date.now()): Promise<CodeSession | undefined> {
    await this.ready(now);
    return this.entries.get(id)?.session;
  }

  /** The sessions for which `input` (a typed code or a QR token) is valid at `now`. */
  async matching(input: string, now = Date.now()): Promise<CodeSession[]> {
    await this.ready(now);
    const matcher = codeMatcher(input);
    if (now < this.indexedAt) {
      // Asked about a moment before the index's: rare (a clock step back); try every session.
      return [...this.entries.values()].map((e) => e.session).filter((s) => matcher(s.code, now));
    }
    this.advance(now);
    const { kind, key } = codeKey(input);
    const candidates = (kind === 'code' ? this.byCode : this.byToken).get(key);
    // The index narrows; the matcher decides (constant-time comparison, the exact rules).
    return candidates ? candidates.filter((s) => matcher(s.code, now)) : [];
  }

  /** Open sessions whose policy binds them to this device. */
  async boundTo(deviceId: string, now = Date.now()): Promise<CodeSession[]> {
    await this.ready(now);
    const ids = this.byDevice.get(deviceId);
    if (!ids) return [];
    const out: CodeSession[] = [];
    for (const id of ids) {
      const s = this.entries.get(id)?.session;
      if (s && s.state === 'open') out.push(s);
    }
    return out;
  }

  /**
   * Makes the next use look at the database first. With a session id (this node opened, changed or
   * closed it; its `updated_at` moved) an incremental look finds it; without one everything is re-read
   * (e.g. after a change that did not touch `updated_at`).
   */
  invalidate(sessionId?: string): void {
    this.generation++;
    if (sessionId === undefined) this.needFull = true;
  }

  /**
   * Makes the next use take an incremental look at the database: something this node was asked about
   * is not in the cache, and may have changed on another node since the last look. Concurrent callers
   * share one look.
   */
  lookAgain(): void {
    this.generation++;
  }

  private ready(now: number): Promise<void> | undefined {
    const due = this.syncedGeneration !== this.generation || now - this.syncedAt >= TTL_MS;
    if (!due) return this.pending?.promise;
    if (this.pending) {
      if (this.pending.generation === this.generation) return this.pending.promise;
      // Invalidated while a look was under way: that look may have missed the change.
      return this.pending.promise.then(
        () => this.ready(now),
        () => this.ready(now),
      );
    }
    const generation = this.generation;
    const promise = this.sync(now).then(
      () => {
        this.syncedGeneration = generation;
        this.syncedAt = now;
        this.pending = null;
      },
      (err: unknown) => {
        this.pending = null;
        throw err;
      },
    );
    this.pending = { promise, generation };
    return promise;
  }

  private async sync(now: number): Promise<void> {
    const startedAt = Date.now();
    // A clock that went back (or a test's fake time) would leave the watermark ahead: read everything.
    const full = this.needFull || startedAt - this.fullAt >= RECONCILE_MS || startedAt < this.watermark;
    this.needFull = false;
    try {
      const rows = await codeSessionRows(
        this.db,
        new Date(now - RECENT_CLOSED_MS).toISOString(),
        full ? null : new Date(this.watermark - OVERLAP_MS).toISOString(),
      );
      if (full) {
        const seen = new Set(rows.map((r) => r.id));
        for (const id of [...this.entries.keys()]) if (!seen.has(id)) this.remove(id);
      }
      for (const r of rows) this.apply(r, now);
    } catch (err) {
      if (full) this.needFull = true;
      throw err;
    }
    // Closed sessions leave after two hours even if nothing else about them changes.
    for (const [id, e] of this.entries) {
      if (e.closedAtMs !== null && e.closedAtMs < now - RECENT_CLOSED_MS) this.remove(id);
    }
    this.watermark = startedAt;
    if (full) this.fullAt = startedAt;
  }

  private apply(r: CodeSessionRow, now: number): void {
    const live = r.state === 'open' || (r.state === 'closed' && r.closed_at !== null && Date.parse(r.closed_at) >= now - RECENT_CLOSED_MS);
    if (!live || !r.code_secret || !r.opened_at) {
      this.remove(r.id);
      return;
    }
    const signature = [r.state, r.opened_at, r.closed_at, r.code_secret, r.policy, r.course_id, r.course_code, r.course_name, r.kind, r.number, r.title, r.starts_at].join('\u0000');
    if (this.entries.get(r.id)?.signature === signature) return;
    this.remove(r.id);
    const policy = parsePolicy(r.policy);
    const session: CodeSession = {
      id: r.id,
      courseId: r.course_id,
      courseCode: r.course_code,
      courseName: r.course_name,
      kind: r.kind,
      number: r.number,
      title: r.title,
      state: r.state === 'open' ? 'open' : 'closed',
      startsAt: r.starts_at,
      openedAt: r.opened_at,
      policy,
      code: codeStateOf(r, policy)!,
    };
    const entry: Entry = { session, signature, closedAtMs: r.closed_at ? Date.parse(r.closed_at) : null, codes: [], tokens: [], generation: 0 };
    this.entries.set(r.id, entry);
    if (policy.deviceId) {
      let ids = this.byDevice.get(policy.deviceId);
      if (!ids) this.byDevice.set(policy.deviceId, (ids = new Set()));
      ids.add(r.id);
    }
    this.index(entry, Math.max(now, this.indexedAt));
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.unindex(entry);
    entry.generation = -1;
    this.entries.delete(id);
    const deviceId = entry.session.policy.deviceId;
    if (deviceId) {
      const ids = this.byDevice.get(deviceId);
      ids?.delete(id);
      if (ids?.size === 0) this.byDevice.delete(deviceId);
    }
  }

  /** Files the entry under the codes and tokens it accepts at `at`, and schedules its next re-index. */
  private index(entry: Entry, at: number): void {
    this.unindex(entry);
    const accepted = acceptedKeys(entry.session.code, at);
    entry.codes = accepted.codes;
    entry.tokens = accepted.tokens;
    for (const c of entry.codes) addTo(this.byCode, c, entry.session);
    for (const t of entry.tokens) addTo(this.byToken, t, entry.session);
    entry.generation = ++this.sequence;
    this.push({ at: accepted.until, id: entry.session.id, generation: entry.generation });
  }

  private unindex(entry: Entry): void {
    for (const c of entry.codes) removeFrom(this.byCode, c, entry.session);
    for (const t of entry.tokens) removeFrom(this.byToken, t, entry.session);
    entry.codes = [];
    entry.tokens = [];
  }

  /** Re-indexes the sessions whose step has ended by `now`. */
  private advance(now: number): void {
    while (this.heap.length > 0 && this.heap[0].at <= now) {
      const due = this.pop()!;
      const entry = this.entries.get(due.id);
      if (entry && entry.generation === due.generation) this.index(entry, now);
    }
    this.indexedAt = now;
  }

  private push(item: Due): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent].at <= h[i].at) break;
      [h[parent], h[i]] = [h[i], h[parent]];
      i = parent;
    }
  }

  private pop(): Due | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].at < h[m].at) m = l;
        if (r < h.length && h[r].at < h[m].at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}

function addTo(map: Map<string, CodeSession[]>, key: string, s: CodeSession): void {
  const list = map.get(key);
  if (list) list.push(s);
  else map.set(key, [s]);
}

function removeFrom(map: Map<string, CodeSession[]>, key: string, s: CodeSession): void {
  const list = map.get(key);
  if (!list) return;
  const rest = list.filter((x) => x !== s);
  if (rest.length) map.set(key, rest);
  else map.delete(key);
}

declare module 'fastify' {
  interface FastifyInstance {
    openSessions: OpenSessionCache;
  }
}
