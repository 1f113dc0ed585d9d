import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { INVITATION_TTL_DAYS, RESET_TTL_MINUTES, type AccountLink } from '../../../common/account.schemas.js';
import type { AccountTokenKind } from '../../db/database.js';
import type { Db } from '../../db/kysely.js';
import { AppError, notFound, validationFailed } from '../../errors.js';
import { newId, nowIso, randomToken } from '../../lib/ids.js';
import type { Budget } from '../../lib/limiter.js';
import type { Mailer } from '../../lib/mailer.js';
import { hashPassword } from '../../lib/passwords.js';
import { insertAudit } from '../audit/audit.repository.js';
import { findUserById, findUserByLogin, updateUserRow, type UserRow } from '../users/users.repository.js';
import { revokeAllRefreshTokens } from '../users/users.service.js';
import { replaceAccountToken, spendAccountToken } from './account-tokens.repository.js';

export interface AccountDeps {
  db: Db;
  mailer: Mailer | null;
  publicUrl: string;
  log: FastifyBaseLogger;
  /** Reset mails per account: a stranger must not be able to flood someone's inbox. */
  forgotBudget: Budget;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

const TTL_MS: Record<AccountTokenKind, number> = {
  invite: INVITATION_TTL_DAYS * 86_400_000,
  reset: RESET_TTL_MINUTES * 60_000,
};

export const invalidToken = () =>
  new AppError(400, 'invalid_token', 'Invalid link', 'This link is unknown, was already used or has expired. Ask for a new one.', [
    { path: 'token', message: 'unknown, used or expired' },
  ]);

/** Creates a single-use link for `user` (the previous one of the same kind stops working). */
async function issueLink(deps: AccountDeps, user: UserRow, kind: AccountTokenKind, actorId: string | null): Promise<AccountLink> {
  const token = randomToken(32);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + TTL_MS[kind]).toISOString();
  await deps.db.transaction().execute(async (trx) => {
    await replaceAccountToken(trx, {
      id: newId(),
      userId: user.id,
      kind,
      tokenHash: sha256(token),
      createdBy: actorId,
      createdAt: now.toISOString(),
      expiresAt,
    });
    await insertAudit(trx, { actorId, action: kind === 'invite' ? 'user.invited' : 'user.password_reset_requested', entity: 'user', entityId: user.id });
  });
  return { url: `${deps.publicUrl}/choose-password?token=${encodeURIComponent(token)}`, expiresAt };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function linkMail(to: string, user: UserRow, link: AccountLink, kind: AccountTokenKind) {
  const intro =
    kind === 'invite'
      ? `You have a Rollbook account (username: ${user.username}). Choose your password here:`
      : 'Someone (hopefully you) asked to reset your Rollbook password. Choose a new one here:';
  const validity = kind === 'invite' ? `The link works once, for ${INVITATION_TTL_DAYS} days.` : `The link works once, for ${RESET_TTL_MINUTES} minutes. If you did not ask, ignore this mail.`;
  return {
    to,
    subject: kind === 'invite' ? 'Rollbook: choose your password' : 'Rollbook: reset your password',
    text: `Hello ${user.name},\n\n${intro}\n\n${link.url}\n\n${validity}\n`,
    html: `<p>Hello ${escapeHtml(user.name)},</p><p>${escapeHtml(intro)}</p><p><a href="${escapeHtml(link.url)}">${escapeHtml(link.url)}</a></p><p>${escapeHtml(validity)}</p>`,
  };
}

/** Sends without holding up the answer; a mail failure is logged (the admin still has the link). */
function mailLink(deps: AccountDeps, user: UserRow, link: AccountLink, kind: AccountTokenKind): Promise<void> {
  if (!deps.mailer || !user.email) return Promise.resolve();
  return deps.mailer.send(linkMail(user.email, user, link, kind)).catch((err: unknown) => {
    deps.log.warn({ err, userId: user.id, kind }, 'account link mail failed');
  });
}

/** An admin's invitation: a link for the user to choose a password, mailed when they have an e-mail. */
export async function inviteUser(deps: AccountDeps, actorId: string, userId: string): Promise<AccountLink> {
  const user = await findUserById(deps.db, userId);
  if (!user) throw notFound('User');
  if (user.active !== 1) throw validationFailed('This account is deactivated; reactivate it first.', [{ path: 'id', message: 'deactivated' }]);
  const link = await issueLink(deps, user, 'invite', actorId);
  await mailLink(deps, user, link, 'invite');
  return link;
}

/**
 * "Forgot password": mails a reset link when the account exists, is active and has an e-mail. The
 * caller answers 202 whatever happens, and the work runs after the answer, so neither the answer
 * nor its timing tells whether the account exists.
 */
export async function forgotPassword(deps: AccountDeps, login: string): Promise<void> {
  const user = await findUserByLogin(deps.db, login);
  if (!user || user.active !== 1 || !user.email) return;
  if (!(await deps.forgotBudget.reserve(user.id)).allowed) return;
  const link = await issueLink(deps, user, 'reset', null);
  await mailLink(deps, user, link, 'reset');
}

/**
 * Spends an invitation or reset token and sets the password; every refresh token of the user is
 * revoked (all their devices sign in again). One transaction with the audit event.
 */
export async function resetPassword(deps: AccountDeps, token: string, newPassword: string): Promise<void> {
  const hash = await hashPassword(newPassword);
  await deps.db.transaction().execute(async (trx) => {
    const now = nowIso();
    const spent = await spendAccountToken(trx, sha256(token), now);
    if (!spent) throw invalidToken();
    const user = await findUserById(trx, spent.user_id);
    if (!user || user.active !== 1) throw invalidToken();
    await updateUserRow(trx, user.id, { password_hash: hash, updated_at: now });
    await revokeAllRefreshTokens(trx, user.id);
    await insertAudit(trx, {
      actorId: user.id,
      action: spent.kind === 'invite' ? 'user.invitation_accepted' : 'user.password_reset',
      entity: 'user',
      entityId: user.id,
    });
  });
}
