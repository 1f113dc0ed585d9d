import { z } from 'zod';
import { idSchema, pageQuery } from './common.schemas.js';
import { LIMITS } from './limits.js';
import { codeSchema } from './structure.schemas.js';
import { userSchema } from './user.schemas.js';

/** A course's warning rules (docs/reports.md); `consecutiveAbsences: 0` turns that rule off. */
export const warningRulesSchema = z.object({
  belowThreshold: z.boolean(),
  consecutiveAbsences: z.number().int().min(0).max(100),
  cannotReach: z.boolean(),
});
export type WarningRules = z.infer<typeof warningRulesSchema>;
export const DEFAULT_WARNING_RULES: WarningRules = { belowThreshold: true, consecutiveAbsences: 3, cannotReach: true };

export const courseSchema = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  departmentId: z.string().nullable(),
  term: z.string().nullable(),
  yearOfStudy: z.number().int().nullable(),
  teacherIds: z.array(z.string()),
  thresholdPercent: z.number().int(),
  lateAfterMinutes: z.number().int(),
  warnings: warningRulesSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Course = z.infer<typeof courseSchema>;

const courseFields = {
  code: codeSchema,
  name: z.string().trim().min(1).max(LIMITS.nameMax),
  description: z.string().trim().max(LIMITS.textMax).nullable(),
  departmentId: idSchema.nullable(),
  term: z.string().trim().min(1).max(LIMITS.shortTextMax).nullable(),
  yearOfStudy: z.number().int().min(1).max(20).nullable(),
  teacherIds: z.array(idSchema).max(50),
  thresholdPercent: z.number().int().min(0).max(100),
  lateAfterMinutes: z.number().int().min(0).max(1440),
};

export const createCourseBody = z.strictObject({
  code: courseFields.code,
  name: courseFields.name,
  description: courseFields.description.optional(),
  departmentId: courseFields.departmentId.optional(),
  term: courseFields.term.optional(),
  yearOfStudy: courseFields.yearOfStudy.optional(),
  /** A teacher creating a course is always one of its teachers, listed here or not. */
  teacherIds: courseFields.teacherIds.optional(),
  thresholdPercent: courseFields.thresholdPercent.default(75),
  lateAfterMinutes: courseFields.lateAfterMinutes.default(10),
  warnings: warningRulesSchema.partial().strict().optional(),
});
export type CreateCourseInput = z.infer<typeof createCourseBody>;

export const updateCourseBody = z.strictObject({
  code: courseFields.code.optional(),
  name: courseFields.name.optional(),
  description: courseFields.description.optional(),
  departmentId: courseFields.departmentId.optional(),
  term: courseFields.term.optional(),
  yearOfStudy: courseFields.yearOfStudy.optional(),
  teacherIds: courseFields.teacherIds.optional(),
  thresholdPercent: courseFields.thresholdPercent.optional(),
  lateAfterMinutes: courseFields.lateAfterMinutes.optional(),
  warnings: warningRulesSchema.partial().strict().optional(),
});
export type UpdateCourseInput = z.infer<typeof updateCourseBody>;

export const listCoursesQuery = pageQuery.extend({
  q: z.string().trim().max(100).optional(),
  departmentId: idSchema.optional(),
  term: z.string().trim().max(LIMITS.shortTextMax).optional(),
  /** Admins only: the courses one teacher teaches. */
  teacherId: idSchema.optional(),
});
export type ListCoursesQuery = z.infer<typeof listCoursesQuery>;

export const enrollmentMethodSchema = z.enum(['manual', 'section', 'import', 'self', 'link']);
export type EnrollmentMethod = z.infer<typeof enrollmentMethodSchema>;

export const enrollBody = z
  .strictObject({
    studentIds: z.array(idSchema).max(LIMITS.enrollBatchMax).optional(),
    studentNumbers: z.array(z.string().trim().min(1).max(LIMITS.numberMax)).max(LIMITS.enrollBatchMax).optional(),
    sectionId: idSchema.optional(),
  })
  .refine((b) => (b.studentIds?.length ?? 0) + (b.studentNumbers?.length ?? 0) > 0 || b.sectionId !== undefined, {
    message: 'give studentIds, studentNumbers or sectionId',
  });
export type EnrollInput = z.infer<typeof enrollBody>;

export const enrollResultSchema = z.object({
  /** Students newly enrolled by this request. */
  enrolled: z.number().int(),
  /** Students who were enrolled already (left as they were). */
  alreadyEnrolled: z.number().int(),
  /** The given ids and numbers that match no active student. */
  notFound: z.array(z.string()),
});
export type EnrollResult = z.infer<typeof enrollResultSchema>;

export const courseStudentSchema = userSchema.extend({
  enrollment: z.object({ method: enrollmentMethodSchema, enrolledAt: z.string() }),
});
export type CourseStudent = z.infer<typeof courseStudentSchema>;

export const listCourseStudentsQuery = pageQuery.extend({ q: z.string().trim().max(100).optional() });

export const enrollmentImportResultSchema = z.object({
  enrolled: z.number().int(),
  alreadyEnrolled: z.number().int(),
  errors: z.array(z.object({ line: z.number().int(), message: z.string() })),
});
export type EnrollmentImportResult = z.infer<typeof enrollmentImportResultSchema>;

export const courseStudentParams = z.object({ id: idSchema, studentId: idSchema });
