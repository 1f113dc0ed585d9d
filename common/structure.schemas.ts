import { z } from 'zod';
import { idSchema, pageQuery } from './common.schemas.js';
import { LIMITS } from './limits.js';

/** A short identifier such as a department or course code ("CS", "CS101"). */
export const codeSchema = z
  .string()
  .trim()
  .min(1)
  .max(LIMITS.codeMax)
  .regex(/^[A-Za-z0-9._/-]+$/, 'letters, digits and . _ / - only');
const name = z.string().trim().min(1).max(LIMITS.nameMax);

export const departmentSchema = z.object({ id: z.string(), code: z.string(), name: z.string() });
export type Department = z.infer<typeof departmentSchema>;

export const createDepartmentBody = z.strictObject({ code: codeSchema, name });
export const updateDepartmentBody = z.strictObject({ code: codeSchema.optional(), name: name.optional() });
export type CreateDepartmentInput = z.infer<typeof createDepartmentBody>;
export type UpdateDepartmentInput = z.infer<typeof updateDepartmentBody>;
export const listDepartmentsQuery = pageQuery.extend({ q: z.string().trim().max(100).optional() });

export const sectionSchema = z.object({
  id: z.string(),
  name: z.string(),
  departmentId: z.string().nullable(),
  cohort: z.string().nullable(),
});
export type Section = z.infer<typeof sectionSchema>;

const cohort = z.string().trim().min(1).max(LIMITS.shortTextMax);
export const createSectionBody = z.strictObject({
  name,
  departmentId: idSchema.nullable().optional(),
  cohort: cohort.nullable().optional(),
});
export const updateSectionBody = z.strictObject({
  name: name.optional(),
  departmentId: idSchema.nullable().optional(),
  cohort: cohort.nullable().optional(),
});
export type CreateSectionInput = z.infer<typeof createSectionBody>;
export type UpdateSectionInput = z.infer<typeof updateSectionBody>;
export const listSectionsQuery = pageQuery.extend({
  q: z.string().trim().max(100).optional(),
  departmentId: idSchema.optional(),
});
