import { z } from 'zod';
import { idSchema, pageQuery } from './common.schemas.js';
import { LIMITS } from './limits.js';
import { localDateSchema } from './session.schemas.js';

export const absenceStateSchema = z.enum(['pending', 'approved', 'denied', 'withdrawn']);
export type AbsenceState = z.infer<typeof absenceStateSchema>;
export const absenceCategorySchema = z.enum(['illness', 'family', 'official', 'other']);
export type AbsenceCategory = z.infer<typeof absenceCategorySchema>;

/** Attachments one request may carry. */
export const ABSENCE_ATTACHMENTS_MAX = 5;
/** Sessions one absence request or cancellation notice may name. */
export const ABSENCE_SESSIONS_MAX = 200;
/** What an attachment may be, judged from its bytes. */
export const ATTACHMENT_TYPES = ['application/pdf', 'image/jpeg', 'image/png', 'image/webp', 'image/heic'] as const;

export const attachmentSchema = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number().int(),
  contentType: z.string(),
  sha256: z.string(),
  createdAt: z.string(),
});
export type Attachment = z.infer<typeof attachmentSchema>;

export const absenceSchema = z.object({
  id: z.string(),
  studentId: z.string(),
  courseId: z.string(),
  sessionIds: z.array(z.string()),
  from: z.string().nullable(),
  to: z.string().nullable(),
  category: absenceCategorySchema,
  reason: z.string(),
  state: absenceStateSchema,
  attachments: z.array(attachmentSchema),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
  decidedBy: z.string().nullable(),
  response: z.string().nullable(),
  /** For display: who asked, and for which course. */
  student: z.object({ id: z.string(), name: z.string(), studentNumber: z.string().nullable() }),
  course: z.object({ id: z.string(), code: z.string(), name: z.string() }),
});
export type Absence = z.infer<typeof absenceSchema>;

/** Sessions by id, or a date range (YYYY-MM-DD in TIMEZONE, both ends inclusive): one of the two. */
const sessionsOrRange = {
  sessionIds: z.array(idSchema).min(1).max(ABSENCE_SESSIONS_MAX).optional(),
  from: localDateSchema.optional(),
  to: localDateSchema.optional(),
};

function oneSelection(b: { sessionIds?: string[]; from?: string; to?: string }, ctx: z.RefinementCtx) {
  const byRange = b.from !== undefined || b.to !== undefined;
  if (b.sessionIds && byRange) {
    ctx.addIssue({ code: 'custom', path: ['sessionIds'], message: 'give sessionIds or from/to, not both' });
  } else if (!b.sessionIds && !byRange) {
    ctx.addIssue({ code: 'custom', path: ['sessionIds'], message: 'give sessionIds or a from/to date range' });
  } else if (byRange && (b.from === undefined || b.to === undefined)) {
    ctx.addIssue({ code: 'custom', path: [b.from === undefined ? 'from' : 'to'], message: 'a range needs both from and to' });
  } else if (byRange && b.to! < b.from!) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
  }
}

export const createAbsenceBody = z
  .strictObject({
    courseId: idSchema,
    ...sessionsOrRange,
    reason: z.string().trim().min(1).max(LIMITS.textMax),
    category: absenceCategorySchema.default('other'),
  })
  .superRefine(oneSelection);
export type CreateAbsenceInput = z.infer<typeof createAbsenceBody>;

export const listAbsencesQuery = pageQuery.extend({
  state: absenceStateSchema.optional(),
  courseId: idSchema.optional(),
  studentId: idSchema.optional(),
  /** Only requests covering this session (roll call and reports show them next to the record). */
  sessionId: idSchema.optional(),
});
export type ListAbsencesQuery = z.infer<typeof listAbsencesQuery>;

export const absenceDecisionBody = z.strictObject({
  decision: z.enum(['approved', 'denied']),
  response: z.string().trim().max(LIMITS.textMax).optional(),
  /** Revise an approval to a denial (only `approved` → `denied`); without it only a pending request can be decided. */
  revise: z.boolean().optional(),
});
export type AbsenceDecisionInput = z.infer<typeof absenceDecisionBody>;

export const attachmentParams = z.object({ id: idSchema, attachmentId: idSchema });

/** A teacher's own absence: cancel several sessions of a course at once. */
export const cancellationsBody = z
  .strictObject({
    ...sessionsOrRange,
    reason: z.string().trim().min(1).max(LIMITS.textMax),
  })
  .superRefine(oneSelection);
export type CancellationsInput = z.infer<typeof cancellationsBody>;

/** The review queue's size for a teacher (their courses) or an admin (all). */
export const absenceCountsSchema = z.object({ pending: z.number().int() });
