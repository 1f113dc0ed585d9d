import { z } from 'zod';
import { attendanceStatusSchema } from './attendance.schemas.js';
import { idSchema, pageQuery } from './common.schemas.js';
import { LIMITS } from './limits.js';

/** A roll-call mark or a later edit of a record (PUT /api/sessions/:id/records/:studentId). */
export const markRecordBody = z.strictObject({
  status: attendanceStatusSchema,
  /** Why (e.g. "doctor's note"): kept on the record and as the audit event's reason. Omitted: unchanged; null: cleared. */
  note: z.string().trim().max(LIMITS.textMax).nullable().optional(),
  /** The record's version the client saw; a stale one is 409 `conflict`. Omitted: last write wins. */
  expectedVersion: z.number().int().min(1).optional(),
});
export type MarkRecordInput = z.infer<typeof markRecordBody>;

export const deleteRecordQuery = z.object({
  reason: z.string().trim().min(1).max(LIMITS.textMax).optional(),
});

export const auditEventSchema = z.object({
  id: z.string(),
  at: z.string(),
  actorId: z.string().nullable(),
  actorName: z.string().nullable(),
  /** e.g. record.checked_in, record.marked, record.updated, record.confirmed, record.deleted, record.auto_absent, session.opened, session.closed */
  action: z.string(),
  studentId: z.string().nullable(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  reason: z.string().nullable(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

export const auditQuery = pageQuery.extend({
  /** Only the events of this student's record (the edit dialog's history). */
  studentId: idSchema.optional(),
});
export type AuditQuery = z.infer<typeof auditQuery>;

export const auditPageSchema = z.object({ items: z.array(auditEventSchema), nextCursor: z.string().nullable() });

/**
 * WebSocket events of seed 001. `sessionId` names a session; `classId` (seed 001's word) is a course
 * id and means that course's currently open session.
 */
const sessionRef = {
  sessionId: idSchema.optional(),
  classId: z.union([idSchema, z.number().int().nonnegative()]).transform(String).optional(),
};
const oneRef = (b: { sessionId?: string; classId?: string }) => (b.sessionId === undefined) !== (b.classId === undefined);
const oneRefMessage = { message: 'give sessionId or classId (one of them)', path: ['sessionId'] };

export const wsSessionRefData = z.object(sessionRef).refine(oneRef, oneRefMessage);
export type WsSessionRef = z.infer<typeof wsSessionRefData>;

export const wsAttendanceMarkedData = z
  .object({
    ...sessionRef,
    studentId: z.union([idSchema, z.number().int().nonnegative()]).transform(String),
    status: attendanceStatusSchema,
    note: markRecordBody.shape.note,
    expectedVersion: markRecordBody.shape.expectedVersion,
  })
  .refine(oneRef, oneRefMessage);
export type WsAttendanceMarked = z.infer<typeof wsAttendanceMarkedData>;
