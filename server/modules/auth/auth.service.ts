import type { Kysely } from 'kysely';
import type { TokenPair, User } from '../../../common/user.schemas.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Limiter } from '../../lib/limiter.js';
import { hashPassword, verifyPassword } from '../../lib/passwords.js';
import { findUserById, findUserByLogin, updateUserRow } from '../users/users.repository.js';
import { revokeAllRefreshTokens, toUser } from '../users/users.service.js';
import { insertAudit } from '../audit/audit.repository.js';
import type { TokenService } from './tokens.service.js';
import { nowIso } from '../../lib/ids.js';

export interface AuthDeps {
  db: Kysely<Database>;
  config: Config;
  tokens: TokenService;
  limiter: Limiter;
}

const tooManyAttempts = (seconds: number) =>
  new AppError(429, 'too_many_attempts', 'Too many attempts', `Too many failed sign-ins. Try again in ${Math.ceil(seconds / 60)} minutes.`, undefined, {
    retryAfterSeconds: seconds,
  });

export async function issuePair(deps: AuthDeps, user: User): Promise<TokenPair> {
  return {
    accessToken: deps.tokens.signAccess(user.id, user.role),
    refreshToken: await deps.tokens.issueRefresh(deps.db, user.id),
    expiresIn: deps.tokens.accessTtlSeconds,
    user,
  };
}

/** Checks a password sign-in, counting failures per account and per IP. */
export async function login(deps: AuthDeps, login: string, password: string, ip: string): Promise<TokenPair> {
  const { config, limiter } = deps;
  const window = config.LOGIN_FAILURE_WINDOW_SECONDS;
  const row = await findUserByLogin(deps.db, login);
  // Count per account, not per typed name: username and e-mail must share one budget.
  const accountKey = `login:acct:${row ? row.id : login.trim().toLowerCase()}`;
  const ipKey = `login:ip:${ip}`;
  const [acct, byIp] = await Promise.all([limiter.count(accountKey), limiter.count(ipKey)]);
  if (acct >= config.LOGIN_MAX_FAILURES_PER_ACCOUNT || byIp >= config.LOGIN_MAX_FAILURES_PER_IP) {
    throw tooManyAttempts(window);
  }
  const ok = await verifyPassword(row?.password_hash ?? null, password);
  if (!row || !ok || row.active !== 1) {
    await Promise.all([limiter.hit(accountKey, window), limiter.hit(ipKey, window)]);
    throw new AppError(
      401,
      'invalid_credentials',
      'Invalid credentials',
      row && ok && row.active !== 1 ? 'This account has been deactivated.' : 'Wrong username or password.',
    );
  }
  await limiter.reset(accountKey);
  return issuePair(deps, toUser(row));
}

export async function refresh(deps: AuthDeps, refreshToken: string): Promise<TokenPair> {
  const { userId, refreshToken: next } = await deps.tokens.rotateRefresh(deps.db, refreshToken);
  const row = await findUserById(deps.db, userId);
  if (!row) throw new AppError(401, 'unauthenticated', 'Session expired', 'Sign in again.');
  return {
    accessToken: deps.tokens.signAccess(row.id, row.role),
    refreshToken: next,
    expiresIn: deps.tokens.accessTtlSeconds,
    user: toUser(row),
  };
}

export async function changePassword(deps: AuthDeps, userId: string, current: string, next: string): Promise<void> {
  const row = await findUserById(deps.db, userId);
  if (!row) throw new AppError(401, 'unauthenticated', 'Not signed in');
  if (!(await verifyPassword(row.password_hash, current))) {
    throw new AppError(400, 'invalid_credentials', 'Wrong password', 'The current password is not correct.', [
      { path: 'currentPassword', message: 'not correct' },
    ]);
  }
  const hash = await hashPassword(next);
  await deps.db.transaction().execute(async (trx) => {
    await updateUserRow(trx, userId, { password_hash: hash, updated_at: nowIso() });
    // Every other signed-in device has to sign in again with the new password.
    await revokeAllRefreshTokens(trx, userId);
    await insertAudit(trx, { actorId: userId, action: 'user.password_changed', entity: 'user', entityId: userId });
  });
}
