import type { Insertable, Kysely, Transaction } from 'kysely';
import type { AuditEventsTable, Database } from '../../db/database.js';
import { hotQuery } from '../../db/hot-query.js';
import { newId, nowIso } from '../../lib/ids.js';

export interface AuditInput {
  actorId: string | null;
  action: string;
  entity: string;
  entityId: string;
  sessionId?: string | null;
  studentId?: string | null;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
}

const insertAuditQuery = hotQuery((db: Kysely<Database>, e: Insertable<AuditEventsTable>) =>
  db.insertInto('audit_events').values({
    id: e.id,
    at: e.at,
    actor_id: e.actor_id,
    action: e.action,
    entity: e.entity,
    entity_id: e.entity_id,
    session_id: e.session_id,
    student_id: e.student_id,
    before: e.before,
    after: e.after,
    reason: e.reason,
  }),
);

/** The stored row of an audit event. */
export function auditRow(e: AuditInput, at: string): Insertable<AuditEventsTable> {
  return {
    id: newId(),
    at,
    actor_id: e.actorId,
    action: e.action,
    entity: e.entity,
    entity_id: e.entityId,
    session_id: e.sessionId ?? null,
    student_id: e.studentId ?? null,
    before: e.before === undefined || e.before === null ? null : JSON.stringify(e.before),
    after: e.after === undefined || e.after === null ? null : JSON.stringify(e.after),
    reason: e.reason ?? null,
  };
}

/** Appends one audit event; call it inside the transaction of the change it describes. (Check-in path: a hotQuery.) */
export async function insertAudit(trx: Kysely<Database> | Transaction<Database>, e: AuditInput): Promise<void> {
  await insertAuditRow(trx, auditRow(e, nowIso()));
}

/** Appends one audit event already made into its row (`auditRow`). (Check-in path: a hotQuery.) */
export async function insertAuditRow(trx: Kysely<Database> | Transaction<Database>, row: Insertable<AuditEventsTable>): Promise<void> {
  await insertAuditQuery(trx, row);
}

export interface AuditFilter {
  sessionId: string;
  studentId?: string;
  /** Keyset: events strictly older than this (at, id). */
  before?: { at: string; id: string };
  limit: number;
}

/** A session's audit trail (its record events and its own), newest first, with the actor's name. */
export function listSessionAudit(db: Kysely<Database>, f: AuditFilter) {
  let q = db
    .selectFrom('audit_events')
    .leftJoin('users', 'users.id', 'audit_events.actor_id')
    .selectAll('audit_events')
    .select('users.name as actor_name')
    .where('audit_events.session_id', '=', f.sessionId);
  if (f.studentId) q = q.where('audit_events.student_id', '=', f.studentId);
  const before = f.before;
  if (before) {
    q = q.where((eb) =>
      eb.or([eb('audit_events.at', '<', before.at), eb.and([eb('audit_events.at', '=', before.at), eb('audit_events.id', '<', before.id)])]),
    );
  }
  return q.orderBy('audit_events.at', 'desc').orderBy('audit_events.id', 'desc').limit(f.limit).execute();
}

/** Appends many audit events at once (a close marking a whole class absent), in the caller's transaction. */
export async function insertAuditMany(trx: Kysely<Database> | Transaction<Database>, events: AuditInput[]): Promise<void> {
  const at = nowIso();
  const rows = events.map((e) => auditRow(e, at));
  for (let i = 0; i < rows.length; i += 200) await trx.insertInto('audit_events').values(rows.slice(i, i + 200)).execute();
}
