import { expect, it } from 'vitest';
import { DEMO_PASSWORDS, loadDemoSchool } from '../server/demo.js';
import { loginAs } from './support/factories.js';
import { describeEachDialect } from './support/test-app.js';

describeEachDialect('demo school', (ctx) => {
  it('loads once, with people who can sign in and a term of sessions with history', async () => {
    const r = await loadDemoSchool(ctx().db, 'Europe/London', ctx().dialect);
    expect(r).toMatchObject({ admin: null, students: 40, teachers: ['t.okafor', 'm.lindqvist'], courses: ['DEMO-CS101', 'DEMO-CS102'] });
    expect(r.sessions).toBeGreaterThan(20);
    const token = await loginAs(ctx(), { username: 's001', password: DEMO_PASSWORDS.student });
    const courses = (await ctx().request({ method: 'GET', url: '/api/courses', token })).json();
    expect(courses.items.map((c: { code: string }) => c.code).sort()).toEqual(['DEMO-CS101', 'DEMO-CS102']);
    const closed = await ctx().db.selectFrom('sessions').select('id').where('state', '=', 'closed').execute();
    expect(closed.length).toBeGreaterThan(0);
    const records = await ctx().db.selectFrom('attendance_records').select('id').execute();
    expect(records.length).toBeGreaterThan(closed.length * 20);
    await expect(loadDemoSchool(ctx().db, 'Europe/London', ctx().dialect)).rejects.toMatchObject({ code: 'conflict' });
  });
}, { ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'admin-password-1' });
