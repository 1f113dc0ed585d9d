import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUser, userWithToken } from './support/factories.js';
import { startTestSmtp, type TestSmtp } from './support/smtp.js';
import { startTestApp, testDialects, type TestContext } from './support/test-app.js';

const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;
/** A multipart mail's parts stay quoted-printable in ReceivedMail.text: undo soft breaks and escapes. */

describe('accounts: invitations and password reset', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startTestSmtp();
  });
  afterAll(async () => smtp?.close());

  for (const dialect of testDialects()) {
    describe(`[${dialect}]`, () => {
      let ctx: TestContext & { close(): Promise<void> };
      let admin: string;
      beforeAll(async () => {
        ctx = await startTestApp(dialect, { SMTP_URL: smtp.url, MAIL_FROM: 'Rollbook <noreply@school.test>' });
        admin = (await userWithToken(ctx, 'admin')).token;
      });
      afterAll(async () => ctx?.close());

      const login = (username: string, password: string) => ctx.request({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
      const reset = (token: string, newPassword: string) => ctx.request({ method: 'POST', url: '/api/auth/reset', payload: { token, newPassword } });

      it('an admin creating a user without a password gets the invitation link; it works once', async () => {
        const created = await ctx.request({
          method: 'POST',
          url: '/api/users',
          token: admin,
          payload: { role: 'teacher', username: `inv-${dialect}`, name: 'Ada Invited' },
        });
        expect(created.statusCode, created.body).toBe(201);
        const { invitation } = created.json();
        expect(invitation.url).toMatch(/^http:\/\/rollbook\.test\/choose-password\?token=/);
        const days = (Date.parse(invitation.expiresAt) - Date.now()) / 86_400_000;
        expect(days).toBeGreaterThan(6.9);
        expect(days).toBeLessThanOrEqual(7);
        // Only a hash is stored.
        const stored = await ctx.db.selectFrom('account_tokens').selectAll().where('user_id', '=', created.json().id).execute();
        expect(stored).toHaveLength(1);
        expect(JSON.stringify(stored)).not.toContain(tokenOf(invitation.url));

        expect((await reset(tokenOf(invitation.url), 'chosen-password-1')).statusCode).toBe(204);
        expect((await login(`inv-${dialect}`, 'chosen-password-1')).statusCode).toBe(200);
        const again = await reset(tokenOf(invitation.url), 'another-password-2');
        expect(again.statusCode).toBe(400);
        expect(again.json().code).toBe('invalid_token');
        // With a password given, no invitation.
        const withPassword = await ctx.request({
          method: 'POST',
          url: '/api/users',
          token: admin,
          payload: { role: 'teacher', username: `pw-${dialect}`, name: 'Has Password', password: 'has-a-password' },
        });
        expect(withPassword.json()).not.toHaveProperty('invitation');
      });

      it('POST /api/users/:id/invite: admins only, mailed (text and HTML) when the user has an e-mail; a newer link replaces the older', async () => {
        const u = await buildUser(ctx.db, { role: 'student', email: `invite-${dialect}@school.test` });
        const student = (await userWithToken(ctx, 'student')).token;
        expect((await ctx.request({ method: 'POST', url: `/api/users/${u.id}/invite`, token: student })).statusCode).toBe(403);
        expect((await ctx.request({ method: 'POST', url: '/api/users/nope/invite', token: admin })).statusCode).toBe(404);
        const first = await ctx.request({ method: 'POST', url: `/api/users/${u.id}/invite`, token: admin });
        expect(first.statusCode, first.body).toBe(200);
        const mail = await smtp.waitFor((m) => m.to.includes(`invite-${dialect}@school.test`), 'invitation mail');
        expect(mail.subject).toContain('choose your password');
        expect(mail.raw).toContain('text/html');
        expect(mail.text).toContain(tokenOf(first.json().url));
        const second = await ctx.request({ method: 'POST', url: `/api/users/${u.id}/invite`, token: admin });
        expect((await reset(tokenOf(first.json().url), 'first-link-password')).json().code).toBe('invalid_token');
        expect((await reset(tokenOf(second.json().url), 'second-link-password')).statusCode).toBe(204);
        expect((await login(u.username, 'second-link-password')).statusCode).toBe(200);
      });

      it('forgot → mail with a 1-hour link → reset: new password works, old does not, every refresh token is revoked', async () => {
        const email = `forgot-${dialect}@school.test`;
        const u = await buildUser(ctx.db, { role: 'student', email });
        const session = (await login(u.username, u.password)).json();
        const forgot = await ctx.request({ method: 'POST', url: '/api/auth/forgot', payload: { username: email.toUpperCase() } });
        expect(forgot.statusCode).toBe(202);
        const mail = await smtp.waitFor((m) => m.to.includes(email), 'reset mail');
        const url = /http:\/\/rollbook\.test\/choose-password\?token=[A-Za-z0-9_%-]+/.exec(mail.text)![0];
        const row = await ctx.db.selectFrom('account_tokens').selectAll().where('user_id', '=', u.id).executeTakeFirstOrThrow();
        expect(row.kind).toBe('reset');
        const minutes = (Date.parse(row.expires_at) - Date.parse(row.created_at)) / 60_000;
        expect(minutes).toBe(60);

        expect((await reset(tokenOf(url), 'brand-new-password')).statusCode).toBe(204);
        expect((await login(u.username, 'brand-new-password')).statusCode).toBe(200);
        expect((await login(u.username, u.password)).statusCode).toBe(401);
        const refreshed = await ctx.request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: session.refreshToken } });
        expect(refreshed.statusCode).toBe(401);
      });

      it('forgot answers 202 for unknown accounts too, and an expired or made-up token is 400 invalid_token', async () => {
        expect((await ctx.request({ method: 'POST', url: '/api/auth/forgot', payload: { username: 'no-such-person' } })).statusCode).toBe(202);
        expect((await reset('made-up-token', 'whatever-password')).json()).toMatchObject({ status: 400, code: 'invalid_token' });
        const u = await buildUser(ctx.db, { role: 'teacher', email: `expired-${dialect}@school.test` });
        const link = (await ctx.request({ method: 'POST', url: `/api/users/${u.id}/invite`, token: admin })).json();
        await ctx.db.updateTable('account_tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('user_id', '=', u.id).execute();
        expect((await reset(tokenOf(link.url), 'too-late-password')).json().code).toBe('invalid_token');
        // A too-short password is a validation error, not a spent token.
        expect((await reset('x', 'short')).json().code).toBe('validation_failed');
      });

      it('the same link used ten times at once sets the password once', async () => {
        const u = await buildUser(ctx.db, { role: 'teacher' });
        const link = (await ctx.request({ method: 'POST', url: `/api/users/${u.id}/invite`, token: admin })).json();
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => reset(tokenOf(link.url), `parallel-password-${i}`)));
        expect(results.filter((r) => r.statusCode === 204)).toHaveLength(1);
        expect(results.filter((r) => r.statusCode === 400)).toHaveLength(9);
      });
    });
  }
});
