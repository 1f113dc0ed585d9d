import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  loginBody,
  passwordBody,
  refreshBody,
  setupBody,
  setupStatusSchema,
  signupBody,
  tokenPairSchema,
  updateMeBody,
  userSchema,
  type TokenPair,
  SESSION_HINT_COOKIES,
} from '../../../common/user.schemas.js';
import { AppError, forbidden, unauthenticated } from '../../errors.js';
import {
  ACCESS_COOKIE,
  REFRESH_COOKIE,
  REFRESH_COOKIE_PATH,
  authOf,
  originMatches,
  requireUser,
} from '../../plugins/auth.plugin.js';
import { getUser, updateUser, createUser } from '../users/users.service.js';
import { changePassword, createLoginBudgets, login, refresh, issuePair, type AuthDeps } from './auth.service.js';
import { completeSetup, setupNeeded } from './setup.service.js';

export default async function authRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const loginBudgets = createLoginBudgets(app.limits, app.config);
  const deps = (): AuthDeps => ({ db: app.db, config: app.config, tokens: app.tokens, loginBudgets });
  const secure = app.config.PUBLIC_URL?.startsWith('https://') ?? false;

  function setCookies(reply: FastifyReply, pair: TokenPair) {
    const refreshMaxAge = app.config.REFRESH_TOKEN_TTL_DAYS * 86400;
    reply.setCookie(ACCESS_COOKIE, pair.accessToken, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: pair.expiresIn });
    reply.setCookie(REFRESH_COOKIE, pair.refreshToken, { httpOnly: true, sameSite: 'lax', secure, path: REFRESH_COOKIE_PATH, maxAge: refreshMaxAge });
    // Readable twins with the same lifetimes (see SESSION_HINT_COOKIES): no secret in them.
    reply.setCookie(SESSION_HINT_COOKIES.accessLive, '1', { httpOnly: false, sameSite: 'lax', secure, path: '/', maxAge: pair.expiresIn });
    reply.setCookie(SESSION_HINT_COOKIES.signedIn, '1', { httpOnly: false, sameSite: 'lax', secure, path: '/', maxAge: refreshMaxAge });
  }
  function clearCookies(reply: FastifyReply) {
    reply.clearCookie(ACCESS_COOKIE, { path: '/' });
    reply.clearCookie(REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH });
    reply.clearCookie(SESSION_HINT_COOKIES.accessLive, { path: '/' });
    reply.clearCookie(SESSION_HINT_COOKIES.signedIn, { path: '/' });
  }
  /** The refresh token from the body, or from the cookie (then the Origin must match). */
  function refreshTokenOf(request: FastifyRequest, bodyToken: string | undefined): string | null {
    if (bodyToken) return bodyToken;
    const cookie = request.cookies[REFRESH_COOKIE];
    if (!cookie) return null;
    if (!originMatches(request, app.config.PUBLIC_URL)) throw forbidden('Origin mismatch.');
    return cookie;
  }

  r.post(
    '/api/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in with username or e-mail and password',
        body: loginBody,
        response: { 200: tokenPairSchema },
      },
    },
    async (request, reply) => {
      const pair = await login(deps(), request.body.username, request.body.password, request.ip);
      setCookies(reply, pair);
      return pair;
    },
  );

  r.post(
    '/api/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for a new pair (the old one is spent)',
        body: refreshBody.nullish(),
        response: { 200: tokenPairSchema },
      },
    },
    async (request, reply) => {
      const token = refreshTokenOf(request, request.body?.refreshToken);
      if (!token) {
        clearCookies(reply); // also the readable hints, so the app stops trying
        throw unauthenticated('No refresh token.');
      }
      try {
        const pair = await refresh(deps(), token);
        setCookies(reply, pair);
        return pair;
      } catch (err) {
        clearCookies(reply);
        throw err;
      }
    },
  );

  r.post(
    '/api/auth/logout',
    {
      onRequest: requireUser(),
      schema: { tags: ['auth'], summary: 'Revoke the refresh token and clear cookies', body: refreshBody.nullish() },
    },
    async (request, reply) => {
      const token = request.body?.refreshToken ?? request.cookies[REFRESH_COOKIE];
      if (token) await app.tokens.revokeByToken(app.db, token, authOf(request).userId);
      clearCookies(reply);
      return reply.status(204).send();
    },
  );

  r.get(
    '/api/auth/me',
    { onRequest: requireUser(), schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: userSchema } } },
    async (request) => {
      const user = await getUser(app.db, authOf(request).userId).catch(() => null);
      if (!user || !user.active) throw unauthenticated('This account no longer exists or is deactivated.');
      return user;
    },
  );

  r.patch(
    '/api/auth/me',
    {
      onRequest: requireUser(),
      schema: { tags: ['auth'], summary: 'Edit your own profile', body: updateMeBody, response: { 200: userSchema } },
    },
    async (request) => {
      const me = authOf(request).userId;
      return updateUser(app.db, me, me, request.body);
    },
  );

  r.post(
    '/api/auth/password',
    {
      onRequest: requireUser(),
      schema: { tags: ['auth'], summary: 'Change your password (signs out other devices)', body: passwordBody },
    },
    async (request, reply) => {
      const auth = authOf(request);
      await changePassword(deps(), auth.userId, request.body.currentPassword, request.body.newPassword);
      if (auth.via === 'cookie') setCookies(reply, await issuePair(deps(), await getUser(app.db, auth.userId)));
      return reply.status(204).send();
    },
  );

  r.post(
    '/api/auth/signup',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create a student account (only when SIGNUP=students)',
        body: signupBody,
        response: { 201: userSchema },
      },
    },
    async (request, reply) => {
      if (app.config.SIGNUP !== 'students') {
        throw new AppError(403, 'signup_disabled', 'Sign-up is disabled', 'Ask your administrator for an account.');
      }
      const user = await createUser(app.db, null, { ...request.body, role: 'student' });
      return reply.status(201).send(user);
    },
  );

  r.get(
    '/api/setup',
    { schema: { tags: ['auth'], summary: 'Whether the first administrator still has to be created', response: { 200: setupStatusSchema } } },
    async () => ({ needed: await setupNeeded(app.db) }),
  );

  r.post(
    '/api/setup',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create the first administrator with the one-time setup token',
        body: setupBody,
        response: { 201: tokenPairSchema },
      },
    },
    async (request, reply) => {
      const user = await completeSetup(app.db, request.body);
      const pair = await issuePair(deps(), user);
      setCookies(reply, pair);
      return reply.status(201).send(pair);
    },
  );
}

