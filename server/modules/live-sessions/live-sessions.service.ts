import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Summary } from '../../../common/attendance.schemas.js';
import { OPEN_EARLY_MINUTES, opensFrom, type Session, type SessionPolicy, type SessionPolicyPatch } from '../../../common/session.schemas.js';
import { sessionTopic } from '../../../common/live-events.js';
import type { Database } from '../../db/database.js';
import { AppError, validationFailed } from '../../errors.js';
import { nowIso, randomToken } from '../../lib/ids.js';
import { formatInZone } from '../../lib/timezone.js';
import { publish, publishSessionEvent } from '../../realtime/live-events.js';
import { insertAudit } from '../audit/audit.repository.js';
import { withRecordWriter } from '../attendance/record-writer.js';
import { sessionSummary } from '../attendance/records.repository.js';
import { mergePolicy, parsePolicy } from '../checkin/checkin-policy.js';
import { enqueueOutbox } from '../webhooks/outbox.repository.js';
import type { Actor } from '../courses/courses.service.js';
import { getSessionForStaff, toSession } from '../sessions/sessions.service.js';
import { currentCode, type CurrentCode, type SessionCodeState } from '../checkin/codes.js';
import { findDeviceById } from '../devices/devices.repository.js';
import { type SessionRow } from '../sessions/sessions.repository.js';
import { closeOpenSession, openScheduledSession, overdueOpenSessions, updateOpenSessionPolicy } from './live-sessions.repository.js';

type Db = Kysely<Database>;

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The approved absences covering a session being closed (student id → absence request id), read
     * inside the close's transaction; set by the absences module. Their students' records become
     * `excused` instead of `absent`.
     */
    closeExcuses?: (trx: Db, session: SessionRow) => Promise<Map<string, string>>;
  }
}

const invalidState = (detail: string) => new AppError(409, 'invalid_state', 'Invalid session state', detail);

/** The session, if the actor may run it (its course's teachers and admins). */
export async function assertSessionStaff(db: Db, actor: Actor, sessionId: string): Promise<SessionRow> {
  return (await getSessionForStaff(db, actor, sessionId)).session;
}

export function policyOf(row: Pick<SessionRow, 'policy'>): SessionPolicy {
  return parsePolicy(row.policy);
}

export function codeStateOf(row: Pick<SessionRow, 'code_secret' | 'opened_at' | 'policy'>, policy = policyOf(row)): SessionCodeState | null {
  if (!row.code_secret || !row.opened_at) return null;
  return {
    secret: row.code_secret,
    openedAtMs: Date.parse(row.opened_at),
    codeTtlSeconds: policy.codeTtlSeconds,
    codeRotateSeconds: policy.codeRotateSeconds,
  };
}

/** The check-in URL a QR carries: PUBLIC_URL/c/<sessionId>?t=<token>. */
export function checkinUrl(app: FastifyInstance, sessionId: string, token: string): string {
  return `${app.publicUrl}/c/${encodeURIComponent(sessionId)}?t=${encodeURIComponent(token)}`;
}

/** A device a session is bound to must exist and not be revoked (else its scans could never arrive). */
async function assertDeviceUsable(db: Db, deviceId: string): Promise<void> {
  const device = await findDeviceById(db, deviceId);
  if (!device || device.revoked_at !== null) {
    throw validationFailed(device ? "That device's key was revoked." : 'There is no such device.', [
      { path: 'deviceId', message: device ? 'revoked device' : 'no such device' },
    ]);
  }
}

/**
 * A device feeds one open session at a time: binding it to a second one would steal the first's
 * scans. The policy is JSON, so the LIKE only narrows the candidates; the parse decides.
 */
async function assertDeviceFree(trx: Db, deviceId: string, sessionId: string): Promise<void> {
  const candidates = await trx
    .selectFrom('sessions')
    .select(['id', 'policy'])
    .where('state', '=', 'open')
    .where('id', '!=', sessionId)
    .where('policy', 'like', `%${deviceId}%`)
    .execute();
  const holder = candidates.find((c) => (JSON.parse(c.policy) as { deviceId?: unknown }).deviceId === deviceId);
  if (holder) {
    throw new AppError(409, 'device_in_use', 'Device in use', 'That device is bound to another open session; close it or choose another device.', [
      { path: 'deviceId', message: 'bound to another open session' },
    ]);
  }
}

/**
 * Opens a scheduled session (or updates the policy of an open one). A future session can be opened
 * early by its teacher: opening is the teacher's statement that the class is happening.
 */
export async function openSession(app: FastifyInstance, actor: Actor, sessionId: string, patch: SessionPolicyPatch = {}): Promise<Session> {
  const before = await assertSessionStaff(app.db, actor, sessionId);
  if (before.state === 'closed' || before.state === 'cancelled') {
    throw invalidState(`The session is ${before.state}; it cannot be opened again.`);
  }
  // Check-in never goes into a future class: a session opens at the earliest an hour before it starts.
  const earliest = opensFrom(before.starts_at);
  if (before.state === 'scheduled' && Date.now() < earliest.getTime()) {
    const at = (d: Date) => formatInZone(d, app.config.TIMEZONE);
    throw invalidState(
      `This session starts ${at(new Date(before.starts_at))}; check-in can be opened from ${at(earliest)}, ${OPEN_EARLY_MINUTES} minutes before. Move the session if the class is earlier.`,
    );
  }
  const policy = mergePolicy(policyOf(before), patch);
  if (patch.deviceId) await assertDeviceUsable(app.db, patch.deviceId);
  const now = nowIso();
  const opening = before.state === 'scheduled';
  const subscribers = await app.webhooks.current();
  const after = await app.db.transaction().execute(async (trx) => {
    if (policy.deviceId) await assertDeviceFree(trx, policy.deviceId, sessionId);
    const row = opening
      ? await openScheduledSession(trx, sessionId, { openedAt: now, codeSecret: randomToken(32), policy: JSON.stringify(policy) })
      : await updateOpenSessionPolicy(trx, sessionId, { policy: JSON.stringify(policy), updatedAt: now });
    if (!row) throw invalidState('The session changed state meanwhile; reload it.');
    await insertAudit(trx, {
      actorId: actor.userId,
      action: opening ? 'session.opened' : 'session.policy_changed',
      entity: 'session',
      entityId: sessionId,
      sessionId,
      before: { state: before.state, policy: policyOf(before) },
      after: { state: row.state, policy },
    });
    if (opening) await enqueueOutbox(trx, [{ type: 'session.opened', orderKey: sessionId, data: { session: toSession(row) } }], subscribers);
    return row;
  });
  app.openSessions.invalidate(sessionId);
  const session = toSession(after);
  await publishSessionEvent(app, session, opening ? 'SESSION_OPENED' : 'SESSION_UPDATED');
  return session;
}

/**
 * Opens a closed session again (seed 003 toggles sessions open and closed). The records its close
 * made stay; a check-in while it is open again may turn such an `auto` absence into present or late
 * (the record writer's rule). The session keeps its code secret and first opening time, so its
 * number stays frozen and earlier QR links keep their meaning.
 */
export async function reopenSession(app: FastifyInstance, actor: Actor, sessionId: string): Promise<Session> {
  const before = await assertSessionStaff(app.db, actor, sessionId);
  if (before.state !== 'closed') throw invalidState(`The session is ${before.state}; only a closed session can be reopened.`);
  const now = nowIso();
  const subscribers = await app.webhooks.current();
  const after = await app.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('sessions')
      .set((eb) => ({
        state: 'open' as const,
        closed_at: null,
        // Codes count their steps from opened_at: a fresh secret makes the reopened session's codes new.
        code_secret: randomToken(32),
        updated_at: now,
        version: eb('version', '+', 1),
      }))
      .where('id', '=', sessionId)
      .where('state', '=', 'closed')
      .returningAll()
      .executeTakeFirst();
    if (!row) throw invalidState('The session changed state meanwhile; reload it.');
    await insertAudit(trx, {
      actorId: actor.userId,
      action: 'session.reopened',
      entity: 'session',
      entityId: sessionId,
      sessionId,
      before: { state: 'closed', closedAt: before.closed_at },
      after: { state: 'open' },
    });
    // Integrations hear of it like a first opening: the session is taking check-ins again.
    await enqueueOutbox(trx, [{ type: 'session.opened', orderKey: sessionId, data: { session: toSession(row), reopened: true } }], subscribers);
    return row;
  });
  app.openSessions.invalidate();
  const session = toSession(after);
  await publishSessionEvent(app, session, 'SESSION_OPENED');
  return session;
}

/** The current code and QR URL of an open session. */
export function codeOf(app: FastifyInstance, row: SessionRow): CurrentCode & { url: string; rotateSeconds: number } {
  if (row.state !== 'open') throw new AppError(409, 'session_not_open', 'Session not open', `The session is ${row.state}.`);
  const policy = policyOf(row);
  const state = codeStateOf(row, policy);
  if (!state) throw new AppError(409, 'session_not_open', 'Session not open', 'The session has no code yet.');
  const c = currentCode(state);
  return { ...c, url: checkinUrl(app, row.id, c.token), rotateSeconds: policy.codeRotateSeconds };
}

/**
 * Closes an open session: every enrolled student without a record becomes `absent` (method `auto`),
 * in the same transaction as the state change and their audit events. The state change is an atomic
 * claim, so two nodes (or a teacher and the job) can race and only one closes it.
 */
export async function closeSession(
  app: FastifyInstance,
  actorId: string | null,
  sessionId: string,
): Promise<{ session: Session; summary: Summary } | null> {
  const now = nowIso();
  // Read before the transaction: on SQLite it holds the only connection, and reloading the endpoint
  // list inside it would wait for itself.
  const subscribers = await app.webhooks.current();
  const closed = await withRecordWriter(app, async (w) => {
    const row = await closeOpenSession(w.trx, sessionId, now);
    if (!row) return null;
    const before = w.changes.length;
    await w.apply({ type: 'close', sessionId, actorId, excusedBy: app.closeExcuses ? (trx) => app.closeExcuses!(trx, row) : undefined });
    const marked = w.changes.length - before;
    await insertAudit(w.trx, {
      actorId,
      action: 'session.closed',
      entity: 'session',
      entityId: sessionId,
      sessionId,
      before: { state: 'open' },
      after: { state: 'closed', autoAbsent: marked },
      reason: actorId ? null : 'closed automatically after its end',
    });
    const session = toSession(row);
    await enqueueOutbox(w.trx, [{ type: 'session.closed', orderKey: sessionId, data: { session } }], subscribers);
    return row;
  });
  if (!closed) return null;
  // From now on every record of the session counts, changed by the close or not: listeners (warnings)
  // hear of it even when the close marked nobody absent.
  app.attendanceChanged.emit({ courseId: closed.course_id, sessionId, studentIds: [], checkinsOnly: false }, app.log);
  app.openSessions.invalidate(sessionId);
  const summary = await sessionSummary(app.db, sessionId, closed.course_id);
  const session = toSession(closed);
  await publishSessionEvent(app, session, 'SESSION_CLOSED');
  publish(app.bus, sessionTopic(sessionId), 'SUMMARY', { sessionId, summary });
  return { session, summary };
}

/** The teacher's close: 409 unless the session is open. */
export async function closeSessionAsStaff(app: FastifyInstance, actor: Actor, sessionId: string) {
  const row = await assertSessionStaff(app.db, actor, sessionId);
  if (row.state !== 'open') throw invalidState(`The session is ${row.state}; only an open session can be closed.`);
  const result = await closeSession(app, actor.userId, sessionId);
  if (!result) throw invalidState('The session was closed meanwhile.');
  return result;
}

/** The auto-close job: closes sessions open past their end plus the grace period. */
export async function closeOverdueSessions(app: FastifyInstance, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - app.config.AUTO_CLOSE_GRACE_MINUTES * 60_000).toISOString();
  let closed = 0;
  for (const { id } of await overdueOpenSessions(app.db, cutoff)) {
    if (await closeSession(app, null, id)) closed++;
  }
  return closed;
}
