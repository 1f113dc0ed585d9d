import { z } from 'zod';
import { LIMITS } from './limits.js';
import { idSchema, isoDateTime, pageQuery } from './common.schemas.js';
import { outboxStatusSchema } from './webhook.schemas.js';

export const roleSchema = z.enum(['admin', 'teacher', 'student']);
export type Role = z.infer<typeof roleSchema>;

export const userSchema = z.object({
  id: z.string(),
  role: roleSchema,
  username: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  studentNumber: z.string().nullable(),
  staffNumber: z.string().nullable(),
  sectionId: z.string().nullable(),
  /** A student's guardian: mailed their attendance warnings (never signs in). */
  guardianEmail: z.string().nullable(),
  active: z.boolean(),
  createdAt: z.string(),
});
export type User = z.infer<typeof userSchema>;

const username = z
  .string()
  .trim()
  .min(2)
  .max(LIMITS.usernameMax)
  .regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only');
const name = z.string().trim().min(1).max(LIMITS.nameMax);
const email = z.string().trim().max(LIMITS.emailMax).pipe(z.email());
const password = z.string().min(LIMITS.passwordMin).max(LIMITS.passwordMax);
const phone = z.string().trim().max(LIMITS.phoneMax);
const number = z.string().trim().min(1).max(LIMITS.numberMax);

export const loginBody = z.strictObject({
  username: z.string().trim().min(1).max(LIMITS.emailMax),
  password: z.string().min(1).max(LIMITS.passwordMax),
});
export const tokenPairSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int(),
  user: userSchema,
});
export type TokenPair = z.infer<typeof tokenPairSchema>;

/**
 * Cookies the web app may read (the tokens themselves are httpOnly), set and cleared with them:
 * `signedIn` lives as long as the refresh cookie, `accessLive` as long as the access cookie. They
 * carry no secret ("1"); they let the app know, without asking the server and earning a 401, that
 * nobody is signed in here, or that the access cookie is gone and must be renewed first.
 */
export const SESSION_HINT_COOKIES = { signedIn: 'rb_signed_in', accessLive: 'rb_access_live' } as const;
export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(500).optional() });
export const updateMeBody = z.strictObject({
  name: name.optional(),
  email: email.nullable().optional(),
  phone: phone.nullable().optional(),
});
export const passwordBody = z.strictObject({ currentPassword: z.string().min(1).max(LIMITS.passwordMax), newPassword: password });
export const signupBody = z.strictObject({
  username,
  password,
  name,
  email,
  studentNumber: number,
});
export const setupStatusSchema = z.object({ needed: z.boolean() });
export const setupBody = z.strictObject({
  token: z.string().min(1).max(200),
  username,
  password,
  name,
  email: email.optional(),
});

export const createUserBody = z.strictObject({
  role: roleSchema,
  username,
  name,
  email: email.nullable().optional(),
  password: password.optional(),
  phone: phone.nullable().optional(),
  studentNumber: number.nullable().optional(),
  staffNumber: number.nullable().optional(),
  sectionId: idSchema.nullable().optional(),
  guardianEmail: email.nullable().optional(),
});
export type CreateUserInput = z.infer<typeof createUserBody>;

export const updateUserBody = z.strictObject({
  role: roleSchema.optional(),
  username: username.optional(),
  name: name.optional(),
  email: email.nullable().optional(),
  password: password.optional(),
  phone: phone.nullable().optional(),
  studentNumber: number.nullable().optional(),
  staffNumber: number.nullable().optional(),
  sectionId: idSchema.nullable().optional(),
  guardianEmail: email.nullable().optional(),
  active: z.boolean().optional(),
});
export type UpdateUserInput = z.infer<typeof updateUserBody>;

export const listUsersQuery = pageQuery.extend({
  role: roleSchema.optional(),
  q: z.string().trim().max(100).optional(),
  sectionId: idSchema.optional(),
  active: z.enum(['true', 'false', 'all']).default('true'),
});

export const importResultSchema = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  errors: z.array(z.object({ line: z.number().int(), message: z.string() })),
});
export type ImportResult = z.infer<typeof importResultSchema>;

export const statusSchema = z.object({
  version: z.string(),
  uptimeSeconds: z.number(),
  database: z.enum(['ok', 'down']),
  redis: z.enum(['ok', 'off', 'down']),
  mail: z.enum(['ok', 'off', 'down']),
  dialect: z.enum(['sqlite', 'postgres']),
  publicUrl: z.string(),
  signup: z.enum(['off', 'students']),
  /** The institution's time zone: timetables and device scan times are in it. */
  timezone: z.string(),
  /** Webhook deliveries waiting and given up; null while the database cannot be reached. */
  outbox: outboxStatusSchema.nullable(),
});
export { isoDateTime };
