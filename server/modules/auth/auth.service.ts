import type { Kysely } from 'kysely';
import type { TokenPair, User } from '../../../common/user.schemas.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { reservePatiently, type Budget, type LimiterFactory } from '../../lib/limiter.js';

/** How long an attempt waits for reservations of attempts still in flight to be refunded. */
const PATIENCE_MS = 1500;
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
  loginBudgets: LoginBudgets;
}

/** The three sign-in budgets (see DESIGN.md "Failure and abuse"). */
export interface LoginBudgets {
  /** Failures of one account from one client: refused (429) beyond the limit. */
  accountClient: Budget;
  /** Failures from one client address across accounts (counted after the check): refused beyond the limit. */
  client: Budget;
  /** Failures of one account from everywhere: never refused, only slowed down. */
  account: Budget;
}

export function createLoginBudgets(limits: LimiterFactory, config: Config): LoginBudgets {
  const durationSeconds = config.LOGIN_FAILURE_WINDOW_SECONDS;
  return {
    accountClient: limits.budget({ name: 'login:acct-ip', points: config.LOGIN_MAX_FAILURES_PER_ACCOUNT, durationSeconds }),
    client: limits.budget({ name: 'login:ip', points: config.LOGIN_MAX_FAILURES_PER_IP, durationSeconds }),
    // Never refuses: its count only sets the delay.
    account: limits.budget({ name: 'login:acct', points: Number.MAX_SAFE_INTEGER, durationSeconds }),
  };
}

/**
 * How long a sign-in waits once an account has had `failures` failed attempts from all clients:
 * nothing up to the per-client limit, then doubling from 250 ms up to LOGIN_MAX_DELAY_SECONDS.
 */
export function accountDelayMs(config: Config, failures: number): number {
  const over = failures - config.LOGIN_MAX_FAILURES_PER_ACCOUNT;
  if (over <= 0) return 0;
  return Math.min(config.LOGIN_MAX_DELAY_SECONDS * 1000, 250 * 2 ** Math.min(over - 1, 20));
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

/**
 * Checks a password sign-in. Every attempt reserves its place in the budgets BEFORE the password is
 * checked (atomically, in Redis or memory), so parallel guesses get no more tries than sequential
 * ones; a success gives the reservation back.
 */
export async function login(deps: AuthDeps, login: string, password: string, ip: string): Promise<TokenPair> {
  const { config, loginBudgets: budgets } = deps;
  const row = await findUserByLogin(deps.db, login);
  // Count per account, not per typed name: username and e-mail must share one budget.
  const account = row ? row.id : `name:${login.trim().toLowerCase()}`;
  const accountClientKey = `${account}:${ip}`;
  const perPair = await reservePatiently(budgets.accountClient, accountClientKey, PATIENCE_MS);
  if (!perPair.allowed) throw tooManyAttempts(Math.ceil(perPair.msBeforeNext / 1000));
  // Per client address only failures count (a whole class may sign in behind one NAT at once).
  if ((await budgets.client.peek(ip)) >= config.LOGIN_MAX_FAILURES_PER_IP) {
    await budgets.accountClient.refund(accountClientKey);
    throw tooManyAttempts(config.LOGIN_FAILURE_WINDOW_SECONDS);
  }
  // Only attempts this client was allowed to make count account-wide, so one client hammering the
  // account slows nobody else down beyond its own few tries.
  const accountWide = await budgets.account.reserve(account);
  const delay = accountDelayMs(config, accountWide.consumed - 1);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));

  const ok = await verifyPassword(row?.password_hash ?? null, password);
  if (!row || !ok || row.active !== 1) {
    await budgets.client.reserve(ip);
    throw new AppError(
      401,
      'invalid_credentials',
      'Invalid credentials',
      row && ok && row.active !== 1 ? 'This account has been deactivated.' : 'Wrong username or password.',
    );
  }
  // The right password from this client: its own failures are forgiven; the reservations made for
  // this attempt are given back.
  await Promise.all([budgets.accountClient.clear(accountClientKey), budgets.account.refund(account)]);
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
