import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
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

/** Appends one audit event; call it inside the transaction of the change it describes. */
export async function insertAudit(trx: Kysely<Database> | Transaction<Database>, e: AuditInput): Promise<void> {
  await trx
    .insertInto('audit_events')
    .values({
      id: newId(),
      at: nowIso(),
      actor_id: e.actorId,
      action: e.action,
      entity: e.entity,
      entity_id: e.entityId,
      session_id: e.sessionId ?? null,
      student_id: e.studentId ?? null,
      before: e.before === undefined || e.before === null ? null : JSON.stringify(e.before),
      after: e.after === undefined || e.after === null ? null : JSON.stringify(e.after),
      reason: e.reason ?? null,
    })
    .execute();
}
