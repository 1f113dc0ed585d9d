import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { describeEachDialect, type TestContext } from './support/test-app.js';
import { buildUser, loginAs } from './support/factories.js';

const MAX_PER_ACCOUNT = 3;
const MAX_PER_IP = 6;

let ipCounter = 0;
/** A fresh client address, so one test's failed sign-ins never count against another's. */
const freshIp = () => `10.0.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

function login(ctx: TestContext, username: string, password: string, remoteAddress = freshIp()) {
  return ctx.request({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });
}

function cookieOf(res: LightMyRequestResponse, name: string) {
  return res.cookies.find((c) => c.name === name);
}

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json().code).toBe(code);
}

describeEachDialect(
  'auth: sign-in, tokens and profile',
  (ctx) => {
    describe('login', () => {
      it('accepts the username or the e-mail, in any case', async () => {
        const u = await buildUser(ctx().db, { role: 'teacher', email: 'grace.hopper@school.test' });
        const byName = await login(ctx(), u.username.toUpperCase(), u.password);
        expect(byName.statusCode, byName.body).toBe(200);
        const body = byName.json();
        expect(body).toMatchObject({ expiresIn: 900, user: { id: u.id, role: 'teacher', username: u.username, active: true } });
        expect(typeof body.accessToken).toBe('string');
        expect(typeof body.refreshToken).toBe('string');
        expect(body.user).not.toHaveProperty('passwordHash');
        expect(JSON.stringify(body)).not.toContain('argon2');

        const byEmail = await login(ctx(), ' Grace.Hopper@School.test ', u.password);
        expect(byEmail.statusCode, byEmail.body).toBe(200);
        expect(byEmail.json().user.id).toBe(u.id);
      });

      it('rejects a wrong password and an unknown user alike with 401 invalid_credentials', async () => {
        const u = await buildUser(ctx().db);
        expectProblem(await login(ctx(), u.username, 'not-the-password'), 401, 'invalid_credentials');
        expectProblem(await login(ctx(), 'nobody-at-all', 'whatever-password'), 401, 'invalid_credentials');
      });

      it('refuses a deactivated user even with the right password', async () => {
        const u = await buildUser(ctx().db, { active: 0 });
        expectProblem(await login(ctx(), u.username, u.password), 401, 'invalid_credentials');
      });

      it('locks an account for the client that failed, by username or e-mail, but not for other clients', async () => {
        const u = await buildUser(ctx().db);
        const email = `${u.username}@school.test`;
        const attacker = freshIp();
        for (let i = 0; i < MAX_PER_ACCOUNT; i++) {
          expectProblem(await login(ctx(), i % 2 ? email : u.username, 'wrong-password', attacker), 401, 'invalid_credentials');
        }
        // Even the right password is refused now from that client, whichever name is used.
        const locked = await login(ctx(), u.username, u.password, attacker);
        expectProblem(locked, 429, 'too_many_attempts');
        expect(locked.json().retryAfterSeconds).toBeGreaterThan(0);
        expectProblem(await login(ctx(), email, u.password, attacker), 429, 'too_many_attempts');
        // The real user elsewhere is not locked out by a stranger's guesses.
        expect((await login(ctx(), u.username, u.password)).statusCode).toBe(200);
        // Another account is not affected.
        const other = await buildUser(ctx().db);
        expect((await login(ctx(), other.username, other.password)).statusCode).toBe(200);
      });

      it('limits failures per address across accounts', async () => {
        const ip = freshIp();
        const users = await Promise.all(Array.from({ length: MAX_PER_IP + 1 }, () => buildUser(ctx().db)));
        for (let i = 0; i < MAX_PER_IP; i++) {
          expectProblem(await login(ctx(), users[i].username, 'wrong-password', ip), 401, 'invalid_credentials');
        }
        const last = users[MAX_PER_IP];
        expectProblem(await login(ctx(), last.username, last.password, ip), 429, 'too_many_attempts');
        // The same account from another address still works: it had no failures of its own.
        expect((await login(ctx(), last.username, last.password)).statusCode).toBe(200);
      });

      it('lets a user in after failures below the limit, and a success starts the count again', async () => {
        const u = await buildUser(ctx().db);
        for (let i = 0; i < MAX_PER_ACCOUNT - 1; i++) {
          expectProblem(await login(ctx(), u.username, 'wrong-password'), 401, 'invalid_credentials');
        }
        expect((await login(ctx(), u.username, u.password)).statusCode).toBe(200);
        for (let i = 0; i < MAX_PER_ACCOUNT - 1; i++) {
          expectProblem(await login(ctx(), u.username, 'wrong-password'), 401, 'invalid_credentials');
        }
        expect((await login(ctx(), u.username, u.password)).statusCode).toBe(200);
      });
    });

    describe('refresh tokens', () => {
      it('rotates: the new pair works and the old refresh token is spent', async () => {
        const u = await buildUser(ctx().db);
        const first = (await login(ctx(), u.username, u.password)).json();
        const r1 = await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: first.refreshToken } });
        expect(r1.statusCode, r1.body).toBe(200);
        const second = r1.json();
        expect(second.refreshToken).not.toBe(first.refreshToken);
        expect(second.user.id).toBe(u.id);
        const me = await ctx().request({ method: 'GET', url: '/api/auth/me', token: second.accessToken });
        expect(me.statusCode).toBe(200);

        const r2 = await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: second.refreshToken } });
        expect(r2.statusCode, r2.body).toBe(200);
        const third = r2.json();

        // Replaying a spent token is treated as theft: 401, and the whole family dies with it.
        const replay = await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: first.refreshToken } });
        expectProblem(replay, 401, 'unauthenticated');
        const newest = await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: third.refreshToken } });
        expectProblem(newest, 401, 'unauthenticated');
      });

      it('keeps other sign-ins (other families) alive when one family is revoked', async () => {
        const u = await buildUser(ctx().db);
        const phone = (await login(ctx(), u.username, u.password)).json();
        const laptop = (await login(ctx(), u.username, u.password)).json();
        await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: phone.refreshToken } });
        await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: phone.refreshToken } });
        const r = await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: laptop.refreshToken } });
        expect(r.statusCode, r.body).toBe(200);
      });

      it('rejects garbage and missing refresh tokens with 401', async () => {
        expectProblem(
          await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: 'nope.nope' } }),
          401,
          'unauthenticated',
        );
        expectProblem(await ctx().request({ method: 'POST', url: '/api/auth/refresh' }), 401, 'unauthenticated');
      });

      it('stops refreshing a user who was deactivated', async () => {
        const u = await buildUser(ctx().db);
        const pair = (await login(ctx(), u.username, u.password)).json();
        await ctx().db.updateTable('users').set({ active: 0 }).where('id', '=', u.id).execute();
        expectProblem(
          await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: pair.refreshToken } }),
          401,
          'unauthenticated',
        );
      });

      it('logout revokes the refresh token', async () => {
        const u = await buildUser(ctx().db);
        const pair = (await login(ctx(), u.username, u.password)).json();
        const out = await ctx().request({
          method: 'POST',
          url: '/api/auth/logout',
          token: pair.accessToken,
          payload: { refreshToken: pair.refreshToken },
        });
        expect(out.statusCode, out.body).toBe(204);
        expectProblem(
          await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: pair.refreshToken } }),
          401,
          'unauthenticated',
        );
      });

      it('logout cannot revoke somebody else’s refresh token', async () => {
        const victim = await buildUser(ctx().db);
        const victimPair = (await login(ctx(), victim.username, victim.password)).json();
        const token = await loginAs(ctx(), await buildUser(ctx().db));
        const out = await ctx().request({ method: 'POST', url: '/api/auth/logout', token, payload: { refreshToken: victimPair.refreshToken } });
        expect(out.statusCode).toBe(204);
        const r = await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: victimPair.refreshToken } });
        expect(r.statusCode, r.body).toBe(200);
      });
    });

    describe('me', () => {
      it('returns the signed-in user and needs a token', async () => {
        const u = await buildUser(ctx().db, { role: 'student', phone: '+1 555 0100' });
        const token = await loginAs(ctx(), u);
        const me = await ctx().request({ method: 'GET', url: '/api/auth/me', token });
        expect(me.statusCode).toBe(200);
        expect(me.json()).toEqual({
          id: u.id,
          role: 'student',
          username: u.username,
          name: expect.any(String),
          email: `${u.username}@school.test`,
          phone: '+1 555 0100',
          studentNumber: u.studentNumber,
          staffNumber: null,
          sectionId: null,
          guardianEmail: null,
          active: true,
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/),
        });
        expectProblem(await ctx().request({ method: 'GET', url: '/api/auth/me' }), 401, 'unauthenticated');
      });

      it('PATCH edits name, e-mail and phone and nothing else', async () => {
        const u = await buildUser(ctx().db, { role: 'student' });
        const token = await loginAs(ctx(), u);
        const res = await ctx().request({
          method: 'PATCH',
          url: '/api/auth/me',
          token,
          payload: { name: '  Ada Lovelace ', email: 'ADA@Example.test', phone: '0123' },
        });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({ id: u.id, name: 'Ada Lovelace', email: 'ada@example.test', phone: '0123', role: 'student' });
        const again = await ctx().request({ method: 'GET', url: '/api/auth/me', token });
        expect(again.json()).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.test', phone: '0123' });

        // A user cannot promote themself or change their student number.
        for (const payload of [{ role: 'admin' }, { studentNumber: 'X1' }, { active: false }]) {
          expectProblem(await ctx().request({ method: 'PATCH', url: '/api/auth/me', token, payload }), 400, 'validation_failed');
        }
        const after = (await ctx().request({ method: 'GET', url: '/api/auth/me', token })).json();
        expect(after.role).toBe('student');
        expect(after.studentNumber).toBe(u.studentNumber);

        const audit = await ctx().db.selectFrom('audit_events').selectAll().where('entity_id', '=', u.id).execute();
        expect(audit.map((a) => a.action)).toContain('user.updated');
      });

      it('PATCH with an e-mail somebody else has is 409 conflict', async () => {
        const other = await buildUser(ctx().db);
        const token = await loginAs(ctx(), await buildUser(ctx().db));
        const res = await ctx().request({ method: 'PATCH', url: '/api/auth/me', token, payload: { email: `${other.username}@school.test` } });
        expectProblem(res, 409, 'conflict');
        expect(res.json().errors).toEqual([{ path: 'email', message: expect.any(String) }]);
      });
    });

    describe('password change', () => {
      it('checks the current password, swaps the password and signs out other devices', async () => {
        const u = await buildUser(ctx().db, { role: 'teacher' });
        const pair = (await login(ctx(), u.username, u.password)).json();
        const wrong = await ctx().request({
          method: 'POST',
          url: '/api/auth/password',
          token: pair.accessToken,
          payload: { currentPassword: 'not-it-at-all', newPassword: 'a-brand-new-password' },
        });
        expect(wrong.statusCode, wrong.body).toBe(400);
        expect(wrong.headers['content-type']).toMatch(/^application\/problem\+json/);
        // Nothing changed yet.
        expect((await login(ctx(), u.username, u.password)).statusCode).toBe(200);

        const tooShort = await ctx().request({
          method: 'POST',
          url: '/api/auth/password',
          token: pair.accessToken,
          payload: { currentPassword: u.password, newPassword: 'short' },
        });
        expectProblem(tooShort, 400, 'validation_failed');

        const ok = await ctx().request({
          method: 'POST',
          url: '/api/auth/password',
          token: pair.accessToken,
          payload: { currentPassword: u.password, newPassword: 'a-brand-new-password' },
        });
        expect(ok.statusCode, ok.body).toBe(204);
        expectProblem(await login(ctx(), u.username, u.password), 401, 'invalid_credentials');
        expect((await login(ctx(), u.username, 'a-brand-new-password')).statusCode).toBe(200);
        expectProblem(
          await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: pair.refreshToken } }),
          401,
          'unauthenticated',
        );
        const audit = await ctx()
          .db.selectFrom('audit_events')
          .select(['action', 'before', 'after'])
          .where('entity_id', '=', u.id)
          .execute();
        expect(audit.map((a) => a.action)).toContain('user.password_changed');
        expect(JSON.stringify(audit)).not.toContain('a-brand-new-password');
        expect(JSON.stringify(audit)).not.toContain('argon2');
      });
    });

    describe('signup', () => {
      it('is 403 signup_disabled by default', async () => {
        const res = await ctx().request({
          method: 'POST',
          url: '/api/auth/signup',
          payload: { username: 'newkid', password: 'long-enough-pw', name: 'New Kid', email: 'newkid@school.test', studentNumber: 'N1' },
        });
        expectProblem(res, 403, 'signup_disabled');
        const row = await ctx().db.selectFrom('users').select('id').where('username', '=', 'newkid').executeTakeFirst();
        expect(row).toBeUndefined();
      });
    });

    describe('cookies', () => {
      async function cookieLogin() {
        const u = await buildUser(ctx().db);
        const res = await login(ctx(), u.username, u.password);
        expect(res.statusCode).toBe(200);
        const access = cookieOf(res, 'rb_access');
        const refresh = cookieOf(res, 'rb_refresh');
        return { u, res, access: access!, refresh: refresh! };
      }

      it('login sets httpOnly SameSite=Lax access and refresh cookies', async () => {
        const { res, access, refresh } = await cookieLogin();
        expect(access).toMatchObject({ value: res.json().accessToken, httpOnly: true, sameSite: 'Lax', path: '/' });
        expect(refresh).toMatchObject({ value: res.json().refreshToken, httpOnly: true, sameSite: 'Lax', path: '/api/auth' });
        expect(access.maxAge).toBe(900);
        // PUBLIC_URL is plain http in tests: a Secure cookie would never come back.
        expect(access.secure).toBeFalsy();
      });

      it('login also sets the readable hint cookies (no secret, same lifetimes); a refresh without a refresh cookie clears them', async () => {
        const { res, refresh } = await cookieLogin();
        const accessLive = cookieOf(res, 'rb_access_live');
        const signedIn = cookieOf(res, 'rb_signed_in');
        expect(accessLive).toMatchObject({ value: '1', path: '/', sameSite: 'Lax', maxAge: 900 });
        expect(signedIn).toMatchObject({ value: '1', path: '/', sameSite: 'Lax', maxAge: refresh.maxAge });
        expect(accessLive?.httpOnly).toBeFalsy();
        expect(signedIn?.httpOnly).toBeFalsy();

        // The refresh cookie is gone but the page still believes in a session: the hints go too.
        const none = await ctx().request({ method: 'POST', url: '/api/auth/refresh', headers: { origin: 'http://rollbook.test' } });
        expectProblem(none, 401, 'unauthenticated');
        for (const name of ['rb_access_live', 'rb_signed_in']) {
          expect(cookieOf(none, name)?.value, name).toBe('');
          expect(cookieOf(none, name)?.expires?.getTime()).toBeLessThan(Date.now());
        }
      });

      it('authenticates a GET with the cookie alone', async () => {
        const { u, access } = await cookieLogin();
        const me = await ctx().request({ method: 'GET', url: '/api/auth/me', cookies: { rb_access: access.value } });
        expect(me.statusCode, me.body).toBe(200);
        expect(me.json().id).toBe(u.id);
      });

      it('refuses cookie-authenticated changes without a matching Origin', async () => {
        const { access } = await cookieLogin();
        const patch = (headers: Record<string, string>) =>
          ctx().request({ method: 'PATCH', url: '/api/auth/me', cookies: { rb_access: access.value }, headers, payload: { phone: '1' } });
        expectProblem(await patch({}), 403, 'forbidden');
        expectProblem(await patch({ origin: 'http://evil.test' }), 403, 'forbidden');
        expectProblem(await patch({ origin: 'http://rollbook.test.evil.test' }), 403, 'forbidden');
        expectProblem(await patch({ origin: 'null' }), 403, 'forbidden');
        expect((await patch({ origin: 'http://localhost:80' })).statusCode).toBe(200);
        expect((await patch({ origin: 'http://rollbook.test' })).statusCode).toBe(200);
        // A Bearer token is not sent by browsers on their own, so it needs no Origin.
        const bearer = await ctx().request({ method: 'PATCH', url: '/api/auth/me', token: access.value, payload: { phone: '2' } });
        expect(bearer.statusCode).toBe(200);
      });

      it('refreshes through the refresh cookie (with a matching Origin) and rotates the cookies', async () => {
        const { refresh } = await cookieLogin();
        const noOrigin = await ctx().request({ method: 'POST', url: '/api/auth/refresh', cookies: { rb_refresh: refresh.value } });
        expectProblem(noOrigin, 403, 'forbidden');
        const res = await ctx().request({
          method: 'POST',
          url: '/api/auth/refresh',
          cookies: { rb_refresh: refresh.value },
          headers: { origin: 'http://rollbook.test' },
        });
        expect(res.statusCode, res.body).toBe(200);
        const nextRefresh = cookieOf(res, 'rb_refresh');
        const nextAccess = cookieOf(res, 'rb_access');
        expect(nextRefresh?.value).toBe(res.json().refreshToken);
        expect(nextRefresh?.value).not.toBe(refresh.value);
        expect(nextAccess?.value).toBe(res.json().accessToken);
        const me = await ctx().request({ method: 'GET', url: '/api/auth/me', cookies: { rb_access: nextAccess!.value } });
        expect(me.statusCode).toBe(200);
      });

      it('logout through cookies revokes the refresh cookie and clears them all (tokens and hints)', async () => {
        const { access, refresh } = await cookieLogin();
        const out = await ctx().request({
          method: 'POST',
          url: '/api/auth/logout',
          cookies: { rb_access: access.value, rb_refresh: refresh.value },
          headers: { origin: 'http://localhost:80' },
        });
        expect(out.statusCode, out.body).toBe(204);
        for (const name of ['rb_access', 'rb_refresh', 'rb_access_live', 'rb_signed_in']) {
          const c = cookieOf(out, name);
          expect(c?.value).toBe('');
          expect(c?.expires?.getTime()).toBeLessThan(Date.now());
        }
        const r = await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: refresh.value } });
        expectProblem(r, 401, 'unauthenticated');
      });
    });
  },
  { LOGIN_MAX_FAILURES_PER_ACCOUNT: String(MAX_PER_ACCOUNT), LOGIN_MAX_FAILURES_PER_IP: String(MAX_PER_IP) },
);

describeEachDialect(
  'auth: signup when SIGNUP=students',
  (ctx) => {
    it('creates a student who can sign in', async () => {
      const payload = { username: 'NewKid', password: 'long-enough-pw', name: 'New Kid', email: 'newkid@school.test', studentNumber: 'N-100' };
      const res = await ctx().request({ method: 'POST', url: '/api/auth/signup', payload });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ role: 'student', username: 'newkid', studentNumber: 'N-100', active: true });
      expect((await login(ctx(), 'newkid', 'long-enough-pw')).statusCode).toBe(200);

      const again = await ctx().request({ method: 'POST', url: '/api/auth/signup', payload: { ...payload, email: 'other@school.test' } });
      expectProblem(again, 409, 'conflict');
      // The body decides nothing about the role.
      const sneaky = await ctx().request({ method: 'POST', url: '/api/auth/signup', payload: { ...payload, username: 'x2', role: 'admin' } });
      expectProblem(sneaky, 400, 'validation_failed');
    });
  },
  { SIGNUP: 'students' },
);

describeEachDialect('auth: first-admin setup link', (ctx) => {
  it('creates the first administrator once, with the printed token only', async () => {
    const token = ctx().app.setupToken;
    expect(token).toEqual(expect.any(String));
    expect((await ctx().request({ method: 'GET', url: '/api/setup' })).json()).toEqual({ needed: true });

    const body = { username: 'principal', password: 'the-principal-pw', name: 'The Principal' };
    const wrong = await ctx().request({ method: 'POST', url: '/api/setup', payload: { ...body, token: `${token}x` } });
    expect(wrong.statusCode, wrong.body).toBe(403);
    expect(wrong.json().code).toEqual(expect.any(String));
    expect((await ctx().request({ method: 'GET', url: '/api/setup' })).json()).toEqual({ needed: true });

    const ok = await ctx().request({ method: 'POST', url: '/api/setup', payload: { ...body, token } });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ user: { role: 'admin', username: 'principal' }, accessToken: expect.any(String) });
    expect((await ctx().request({ method: 'GET', url: '/api/setup' })).json()).toEqual({ needed: false });

    const users = await ctx().request({ method: 'GET', url: '/api/users', token: ok.json().accessToken });
    expect(users.statusCode).toBe(200);
    expect((await login(ctx(), 'principal', 'the-principal-pw')).statusCode).toBe(200);

    const second = await ctx().request({ method: 'POST', url: '/api/setup', payload: { ...body, username: 'usurper', token } });
    expect(second.statusCode, second.body).toBe(409);
    const usurper = await ctx().db.selectFrom('users').select('id').where('username', '=', 'usurper').executeTakeFirst();
    expect(usurper).toBeUndefined();
  });
});

describeEachDialect(
  'auth: first admin from ADMIN_USERNAME/ADMIN_PASSWORD',
  (ctx) => {
    it('creates the administrator at start, who can sign in; no setup link', async () => {
      expect(ctx().app.setupToken).toBeNull();
      expect((await ctx().request({ method: 'GET', url: '/api/setup' })).json()).toEqual({ needed: false });
      const res = await login(ctx(), 'chief', 'chief-password-1');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().user).toMatchObject({ role: 'admin', username: 'chief', email: 'chief@school.test' });
      expect(await loginAs(ctx(), { username: 'chief@school.test', password: 'chief-password-1' })).toEqual(expect.any(String));
    });
  },
  { ADMIN_USERNAME: 'chief', ADMIN_PASSWORD: 'chief-password-1', ADMIN_EMAIL: 'chief@school.test' },
);
