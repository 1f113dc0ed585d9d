import fp from 'fastify-plugin';
import type { RecordSync } from '../../../common/webhook.schemas.js';
import { recordSyncStates } from './webhooks.service.js';

interface RecordLike {
  id: string;
  sync: RecordSync;
}

/** An API record object (common/attendance.schemas.ts `recordSchema`) still carrying its placeholder `sync`. */
function isRecord(v: Record<string, unknown>): v is Record<string, unknown> & RecordLike {
  return typeof v.id === 'string' && typeof v.sessionId === 'string' && typeof v.studentId === 'string' && typeof v.version === 'number' && 'sync' in v;
}

const MAX_DEPTH = 4;

/** Every record object in a response body: `{record}`, `{items: [record | {record}]}`, nested course views. */
function collectRecords(value: unknown, out: RecordLike[], depth = 0): void {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    // Arrays hold one kind of thing: one of plain values (a grid row's 60 cells) holds no record.
    const first = value.find((v) => v !== null);
    if (first === undefined || typeof first !== 'object') return;
    for (const v of value) collectRecords(v, out, depth + 1);
    return;
  }
  const obj = value as Record<string, unknown>;
  if (isRecord(obj)) {
    out.push(obj);
    return;
  }
  for (const v of Object.values(obj)) if (v !== null && typeof v === 'object') collectRecords(v, out, depth + 1);
}

/**
 * Fills `record.sync` on every record a JSON response carries, with one query per response, in one
 * place instead of in each of the many routes that return records. Records are built with
 * `sync: null`; while no webhook endpoint is active (an in-memory check) nothing is looked up and
 * null is right. A record that already has a state (a check-in's new record, whose only event is the
 * one its transaction queued: `pending`) keeps it.
 */
export default fp(
  async (app) => {
    app.addHook('preSerialization', async (_request, reply, payload) => {
      if (reply.statusCode >= 300 || payload === null || typeof payload !== 'object') return payload;
      const found: RecordLike[] = [];
      collectRecords(payload, found);
      // A record whose state its route already knows (a check-in's new record) is not read again.
      const records = found.filter((r) => r.sync === null);
      // Only responses that carry records may ask the webhook directory (which can need the
      // database): /api/status must answer within its deadline while the database hangs.
      if (records.length === 0) return payload;
      if (!(await app.webhooks.any())) return payload;
      const states = await recordSyncStates(app.db, records.map((r) => r.id));
      for (const r of records) r.sync = states.get(r.id) ?? null;
      return payload;
    });
  },
  { name: 'record-sync' },
);
