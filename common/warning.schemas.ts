import { z } from 'zod';
import { idSchema, pageOf, pageQuery } from './common.schemas.js';

export const warningKindSchema = z.enum(['below_threshold', 'consecutive_absences', 'cannot_reach_threshold']);
export type WarningKind = z.infer<typeof warningKindSchema>;

/** An attendance warning (API.md "Warnings, reports and exports"); `student` and `course` name whom it is about. */
export const warningSchema = z.object({
  id: z.string(),
  studentId: z.string(),
  courseId: z.string(),
  kind: warningKindSchema,
  /** Explains itself: "3 absences in a row: 12, 14 and 19 Nov". */
  detail: z.string(),
  state: z.enum(['open', 'resolved']),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
  student: z.object({ id: z.string(), name: z.string(), studentNumber: z.string().nullable() }),
  course: z.object({ id: z.string(), code: z.string(), name: z.string() }),
});
export type Warning = z.infer<typeof warningSchema>;

export const listWarningsQuery = pageQuery.extend({
  courseId: idSchema.optional(),
  studentId: idSchema.optional(),
  state: z.enum(['open', 'resolved', 'all']).default('open'),
});
export type ListWarningsQuery = z.infer<typeof listWarningsQuery>;

export const warningPageSchema = pageOf(warningSchema);
export const myWarningsSchema = z.object({ items: z.array(warningSchema) });

/** Words for each kind, the same in the web app and mails. */
export const WARNING_KIND_LABEL: Record<WarningKind, string> = {
  below_threshold: 'Below the attendance threshold',
  consecutive_absences: 'Absences in a row',
  cannot_reach_threshold: 'Can no longer reach the threshold',
};
