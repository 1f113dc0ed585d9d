import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from './support/test-app.js';
import { buildUser, userWithToken } from './support/factories.js';
import { buildCourse } from './support/course-factories.js';

describeEachDialect('departments and sections', (ctx) => {
  let admin: string;
  let teacher: string;

  beforeAll(async () => {
    admin = (await userWithToken(ctx(), 'admin')).token;
    teacher = (await userWithToken(ctx(), 'teacher')).token;
  });

  it('creates, reads, lists, edits and deletes a department; codes are unique', async () => {
    const created = await ctx().request({ method: 'POST', url: '/api/departments', token: admin, payload: { code: 'CS', name: 'Computer Science' } });
    expect(created.statusCode).toBe(201);
    const dept = created.json();
    expect(dept).toEqual({ id: expect.any(String), code: 'CS', name: 'Computer Science' });

    const dup = await ctx().request({ method: 'POST', url: '/api/departments', token: admin, payload: { code: 'CS', name: 'Again' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'conflict', errors: [{ path: 'code' }] });

    await ctx().request({ method: 'POST', url: '/api/departments', token: admin, payload: { code: 'MATH', name: 'Mathematics' } });
    const list = await ctx().request({ method: 'GET', url: '/api/departments?q=math', token: teacher });
    expect(list.json().items.map((d: { code: string }) => d.code)).toEqual(['MATH']);

    const page1 = await ctx().request({ method: 'GET', url: '/api/departments?limit=1', token: teacher });
    expect(page1.json().items).toHaveLength(1);
    const page2 = await ctx().request({ method: 'GET', url: `/api/departments?limit=1&cursor=${page1.json().nextCursor}`, token: teacher });
    expect(page2.json().items[0].code).not.toBe(page1.json().items[0].code);

    const edited = await ctx().request({ method: 'PATCH', url: `/api/departments/${dept.id}`, token: admin, payload: { name: 'Computing' } });
    expect(edited.json()).toMatchObject({ code: 'CS', name: 'Computing' });
    const clash = await ctx().request({ method: 'PATCH', url: `/api/departments/${dept.id}`, token: admin, payload: { code: 'MATH' } });
    expect(clash.statusCode).toBe(409);

    expect((await ctx().request({ method: 'DELETE', url: `/api/departments/${dept.id}`, token: admin })).statusCode).toBe(204);
    expect((await ctx().request({ method: 'GET', url: `/api/departments/${dept.id}`, token: admin })).statusCode).toBe(404);
    const audit = await ctx().db.selectFrom('audit_events').select('action').where('entity_id', '=', dept.id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['department.created', 'department.updated', 'department.deleted']);
  });

  it('refuses to delete a department that still has sections or courses (409)', async () => {
    const dept = (await ctx().request({ method: 'POST', url: '/api/departments', token: admin, payload: { code: 'PHY', name: 'Physics' } })).json();
    const section = await ctx().request({ method: 'POST', url: '/api/sections', token: admin, payload: { name: 'PHY-1A', departmentId: dept.id } });
    expect(section.statusCode).toBe(201);
    const blocked = await ctx().request({ method: 'DELETE', url: `/api/departments/${dept.id}`, token: admin });
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json().code).toBe('conflict');
    await ctx().request({ method: 'DELETE', url: `/api/sections/${section.json().id}`, token: admin });

    await buildCourse(ctx().db, { department_id: dept.id });
    expect((await ctx().request({ method: 'DELETE', url: `/api/departments/${dept.id}`, token: admin })).statusCode).toBe(409);
  });

  it('manages sections: unique names per department, unknown department 400, members block deletion', async () => {
    const dept = (await ctx().request({ method: 'POST', url: '/api/departments', token: admin, payload: { code: 'BIO', name: 'Biology' } })).json();
    const created = await ctx().request({
      method: 'POST',
      url: '/api/sections',
      token: admin,
      payload: { name: 'BIO-2026-A', departmentId: dept.id, cohort: '2026' },
    });
    expect(created.statusCode).toBe(201);
    const section = created.json();
    expect(section).toEqual({ id: expect.any(String), name: 'BIO-2026-A', departmentId: dept.id, cohort: '2026' });

    const dup = await ctx().request({ method: 'POST', url: '/api/sections', token: admin, payload: { name: 'BIO-2026-A', departmentId: dept.id } });
    expect(dup.statusCode).toBe(409);
    const unknown = await ctx().request({ method: 'POST', url: '/api/sections', token: admin, payload: { name: 'X', departmentId: 'nope' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([{ path: 'departmentId', message: 'no such department' }]);

    const byDept = await ctx().request({ method: 'GET', url: `/api/sections?departmentId=${dept.id}`, token: teacher });
    expect(byDept.json().items.map((s: { id: string }) => s.id)).toEqual([section.id]);

    const edited = await ctx().request({ method: 'PATCH', url: `/api/sections/${section.id}`, token: admin, payload: { cohort: null } });
    expect(edited.json().cohort).toBeNull();

    const member = await buildUser(ctx().db, { role: 'student', section_id: section.id });
    const blocked = await ctx().request({ method: 'DELETE', url: `/api/sections/${section.id}`, token: admin });
    expect(blocked.statusCode).toBe(409);
    await ctx().db.updateTable('users').set({ section_id: null }).where('id', '=', member.id).execute();
    expect((await ctx().request({ method: 'DELETE', url: `/api/sections/${section.id}`, token: admin })).statusCode).toBe(204);
  });

  it('rejects malformed input with 400 problems', async () => {
    const bad = await ctx().request({ method: 'POST', url: '/api/departments', token: admin, payload: { code: 'has space', name: '' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('validation_failed');
    const extra = await ctx().request({ method: 'POST', url: '/api/sections', token: admin, payload: { name: 'A', bogus: 1 } });
    expect(extra.statusCode).toBe(400);
    const cursor = await ctx().request({ method: 'GET', url: '/api/sections?cursor=garbage', token: admin });
    expect(cursor.statusCode).toBe(400);
  });
});
