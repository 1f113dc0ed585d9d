import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '../db/database.js';
import { forbidden, unauthenticated } from '../errors.js';
import type { TokenService } from '../modules/auth/tokens.service.js';
import { findUserAccess, type UserRow } from '../modules/users/users.repository.js';

export const ACCESS_COOKIE = 'rb_access';
export const REFRESH_COOKIE = 'rb_refresh';
export const REFRESH_COOKIE_PATH = '/api/auth';

export interface AuthContext {
  userId: string;
  role: Role;
  via: 'bearer' | 'cookie';
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
    /** The token's claims behind `requireUserLater`, until the handler confirms them. */
    claimed: AuthContext | null;
  }
  interface FastifyInstance {
    tokens: TokenService;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearerOf(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(.+)$/i.exec(h);
  return m ? m[1].trim() : null;
}

/** Whether the request's Origin is this server (or PUBLIC_URL): cookie auth needs it for unsafe methods. */
export function originMatches(request: FastifyRequest, publicUrl: string | undefined): boolean {
  const origin = request.headers.origin;
  if (!origin) return false;
  const own = `${request.protocol}://${request.headers.host ?? ''}`;
  if (origin === own) return true;
  if (publicUrl && origin === new URL(publicUrl).origin) return true;
  return false;
}

/** Resolves who is calling from a Bearer token or the access cookie; null when anonymous. */
export function resolveAuth(request: FastifyRequest): AuthContext | null {
  const tokens = request.server.tokens;
  const bearer = bearerOf(request);
  if (bearer) {
    const claims = tokens.verifyAccess(bearer);
    if (!claims) throw unauthenticated('The access token is invalid or expired.');
    return { userId: claims.sub, role: claims.role, via: 'bearer' };
  }
  const cookie = request.cookies?.[ACCESS_COOKIE];
  if (cookie) {
    const claims = tokens.verifyAccess(cookie);
    if (!claims) throw unauthenticated('Your session has expired.');
    if (!SAFE_METHODS.has(request.method) && !originMatches(request, request.server.config.PUBLIC_URL)) {
      throw forbidden('Cookie-authenticated requests that change data must come from the Rollbook web app (Origin mismatch).');
    }
    return { userId: claims.sub, role: claims.role, via: 'cookie' };
  }
  return null;
}

/** The caller's role and active flag as the database has them now. */
export type UserAccess = Pick<UserRow, 'role' | 'active'>;

/**
 * The caller's access from their current row: an access token outlives a deactivation or a role
 * change by up to its TTL, so the database decides.
 */
function accessOf(claimed: AuthContext, current: UserAccess | undefined, allowed: ReadonlySet<Role>): AuthContext {
  assertAccess(current, allowed);
  return { ...claimed, role: current.role };
}

/** 401 when the account is gone or deactivated, 403 when its current role is not one of `allowed` (none: any). */
export function assertAccess(current: UserAccess | undefined, allowed: ReadonlySet<Role>): asserts current is UserAccess {
  if (!current || current.active !== 1) throw unauthenticated('This account no longer exists or is deactivated.');
  if (allowed.size > 0 && !allowed.has(current.role)) throw forbidden();
}

/** An onRequest hook: the caller must be signed in, still active and, when roles are given, have one of them. */
export function requireUser(...roles: Role[]): onRequestHookHandler {
  const allowed = new Set(roles);
  return async function requireUserHook(request: FastifyRequest, _reply: FastifyReply) {
    const claimed = resolveAuth(request);
    if (!claimed) throw unauthenticated();
    request.auth = accessOf(claimed, await findUserAccess(request.server.db, claimed.userId), allowed);
  };
}

/**
 * `requireUser` in two steps, for a handler that reads the caller's user row anyway (the check-in
 * reads the student with their enrolment): the hook checks the token; the handler passes the row it
 * read to `confirm` before it decides or changes anything — one read of the database instead of two.
 * `authOf` refuses until `confirm` succeeded.
 */
export function requireUserLater(...roles: Role[]): { hook: onRequestHookHandler; confirm(request: FastifyRequest, current: UserAccess | undefined): AuthContext } {
  const allowed = new Set(roles);
  return {
    hook: async function requireTokenHook(request: FastifyRequest) {
      const claimed = resolveAuth(request);
      if (!claimed) throw unauthenticated();
      request.claimed = claimed;
    },
    confirm(request, current) {
      if (!request.claimed) throw unauthenticated();
      request.auth = accessOf(request.claimed, current, allowed);
      return request.auth;
    },
  };
}

/** Who the token of a request behind `requireUserLater` says is calling (not yet checked against the database). */
export function claimedBy(request: FastifyRequest): AuthContext {
  if (!request.claimed) throw unauthenticated();
  return request.claimed;
}

/** The signed-in caller; only valid behind requireUser. */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw unauthenticated();
  return request.auth;
}

export default fp(
  async (app, opts: { tokens: TokenService }) => {
    app.decorate('tokens', opts.tokens);
    app.decorateRequest('auth', null);
    app.decorateRequest('claimed', null);
  },
  { name: 'auth', dependencies: ['@fastify/cookie'] },
);
