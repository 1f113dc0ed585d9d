import { z } from 'zod';
import { LIMITS } from './limits.js';
import { userSchema } from './user.schemas.js';

/** How long the links stay valid (API.md "Accounts"). */
export const INVITATION_TTL_DAYS = 7;
export const RESET_TTL_MINUTES = 60;

/** A single-use link to choose a password: `PUBLIC_URL/choose-password?token=…`. */
export const accountLinkSchema = z.object({ url: z.string(), expiresAt: z.string() });
export type AccountLink = z.infer<typeof accountLinkSchema>;

export const forgotBody = z.strictObject({ username: z.string().trim().min(1).max(LIMITS.emailMax) });
export const resetBody = z.strictObject({
  token: z.string().min(1).max(200),
  newPassword: z.string().min(LIMITS.passwordMin).max(LIMITS.passwordMax),
});
export type ResetInput = z.infer<typeof resetBody>;

/** `POST /api/users` answer: the user, plus the invitation link when no password was given. */
export const createdUserSchema = userSchema.extend({ invitation: accountLinkSchema.optional() });
