import { expect, it } from 'vitest';
import { describeEachDialect } from './support/test-app.js';
import { buildUser, loginAs } from './support/factories.js';

describeEachDialect('smoke', (ctx) => {
  it('answers health and signs a user in', async () => {
    const res = await ctx().request({ method: 'GET', url: '/api/health' });
    expect(res.json()).toEqual({ ok: true });
    const u = await buildUser(ctx().db, { role: 'teacher' });
    const token = await loginAs(ctx(), u);
    const me = await ctx().request({ method: 'GET', url: '/api/auth/me', token });
    expect(me.json().username).toBe(u.username);
  });
});
