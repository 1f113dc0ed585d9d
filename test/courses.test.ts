import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from './support/test-app.js';
import { buildUser, userWithToken, type BuiltUser } from './support/factories.js';
import { buildCourse, buildSection, buildSession } from './support/course-factories.js';

type Course = { id: string; code: string; teacherIds: string[] };
const codes = (items: { code: string }[]) => items.map((c) => c.code).sort();

describeEachDialect('courses', (ctx) => {
  let admin: { user: BuiltUser; token: string };
  let teacher: { user: BuiltUser; token: string };
  let other: { user: BuiltUser; token: string };
  let student: { user: BuiltUser; token: string };

  beforeAll(async () => {
    admin = await userWithToken(ctx(), 'admin');
    teacher = await userWithToken(ctx(), 'teacher');
    other = await userWithToken(ctx(), 'teacher');
    student = await userWithToken(ctx(), 'student');
  });

  it('lets an admin create a course with teachers and defaults, and a teacher create one they teach', async () => {
    const dept = (await ctx().request({ method: 'POST', url: '/api/departments', token: admin.token, payload: { code: 'ENG', name: 'Engineering' } })).json();
    const res = await ctx().request({
      method: 'POST',
      url: '/api/courses',
      token: admin.token,
      payload: { code: 'ENG101', name: 'Statics', departmentId: dept.id, term: '2026-S1', yearOfStudy: 1, teacherIds: [teacher.user.id, other.user.id] },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      code: 'ENG101',
      name: 'Statics',
      description: null,
      departmentId: dept.id,
      term: '2026-S1',
      yearOfStudy: 1,
      teacherIds: [teacher.user.id, other.user.id],
      thresholdPercent: 75,
      lateAfterMinutes: 10,
    });

    const own = await ctx().request({ method: 'POST', url: '/api/courses', token: teacher.token, payload: { code: 'ENG102', name: 'Dynamics', lateAfterMinutes: 5 } });
    expect(own.statusCode).toBe(201);
    expect(own.json()).toMatchObject({ teacherIds: [teacher.user.id], lateAfterMinutes: 5 });

    const dup = await ctx().request({ method: 'POST', url: '/api/courses', token: admin.token, payload: { code: 'ENG101', name: 'Again' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'conflict', errors: [{ path: 'code' }] });

    const badTeacher = await ctx().request({ method: 'POST', url: '/api/courses', token: admin.token, payload: { code: 'ENG103', name: 'X', teacherIds: [student.user.id] } });
    expect(badTeacher.statusCode).toBe(400);
    expect(badTeacher.json().errors[0].path).toBe('teacherIds');
    const badDept = await ctx().request({ method: 'POST', url: '/api/courses', token: admin.token, payload: { code: 'ENG104', name: 'X', departmentId: 'nope' } });
    expect(badDept.statusCode).toBe(400);
    const badThreshold = await ctx().request({ method: 'POST', url: '/api/courses', token: admin.token, payload: { code: 'ENG105', name: 'X', thresholdPercent: 101 } });
    expect(badThreshold.statusCode).toBe(400);
  });

  it('lists to each role what it may see, with filters and paging', async () => {
    const t = await userWithToken(ctx(), 'teacher');
    const s = await userWithToken(ctx(), 'student');
    const a = await buildCourse(ctx().db, { code: 'LIST-A', name: 'Alpha', teacherIds: [t.user.id], studentIds: [s.user.id], term: '2026-S2' });
    await buildCourse(ctx().db, { code: 'LIST-B', name: 'Beta', teacherIds: [t.user.id], term: '2026-S2' });
    await buildCourse(ctx().db, { code: 'LIST-C', name: 'Gamma', teacherIds: [other.user.id], studentIds: [s.user.id], term: '2026-S2' });

    const asTeacher = (await ctx().request({ method: 'GET', url: '/api/courses', token: t.token })).json();
    expect(codes(asTeacher.items)).toEqual(['LIST-A', 'LIST-B']);
    const asStudent = (await ctx().request({ method: 'GET', url: '/api/courses', token: s.token })).json();
    expect(codes(asStudent.items)).toEqual(['LIST-A', 'LIST-C']);
    const asAdmin = (await ctx().request({ method: 'GET', url: '/api/courses?term=2026-S2', token: admin.token })).json();
    expect(codes(asAdmin.items)).toEqual(['LIST-A', 'LIST-B', 'LIST-C']);
    const byTeacher = (await ctx().request({ method: 'GET', url: `/api/courses?teacherId=${t.user.id}&q=alp`, token: admin.token })).json();
    expect(codes(byTeacher.items)).toEqual(['LIST-A']);
    expect((await ctx().request({ method: 'GET', url: `/api/courses?teacherId=${other.user.id}`, token: t.token })).statusCode).toBe(403);

    const p1 = (await ctx().request({ method: 'GET', url: '/api/courses?term=2026-S2&limit=2', token: admin.token })).json();
    expect(codes(p1.items)).toEqual(['LIST-A', 'LIST-B']);
    const p2 = (await ctx().request({ method: 'GET', url: `/api/courses?term=2026-S2&limit=2&cursor=${p1.nextCursor}`, token: admin.token })).json();
    expect(codes(p2.items)).toEqual(['LIST-C']);
    expect(p2.nextCursor).toBeNull();

    const mine = (await ctx().request({ method: 'GET', url: '/api/me/courses', token: s.token })).json();
    expect(codes(mine.items)).toEqual(['LIST-A', 'LIST-C']);
    const one = await ctx().request({ method: 'GET', url: `/api/courses/${a.id}`, token: s.token });
    expect(one.json()).toMatchObject({ code: 'LIST-A', teacherIds: [t.user.id] });
  });

  it('lets a teacher edit their own course but not remove themselves; another teacher gets 403', async () => {
    const course = (await ctx().request({ method: 'POST', url: '/api/courses', token: teacher.token, payload: { code: 'EDIT-1', name: 'Edit me' } })).json() as Course;
    const edited = await ctx().request({
      method: 'PATCH',
      url: `/api/courses/${course.id}`,
      token: teacher.token,
      payload: { name: 'Edited', description: 'Line one\nline two', teacherIds: [teacher.user.id, other.user.id], thresholdPercent: 80 },
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ name: 'Edited', description: 'Line one\nline two', thresholdPercent: 80 });
    expect([...edited.json().teacherIds].sort()).toEqual([teacher.user.id, other.user.id].sort());

    const leave = await ctx().request({ method: 'PATCH', url: `/api/courses/${course.id}`, token: teacher.token, payload: { teacherIds: [other.user.id] } });
    expect(leave.statusCode).toBe(400);

    const mine = await buildCourse(ctx().db, { teacherIds: [teacher.user.id] });
    const foreign = await ctx().request({ method: 'PATCH', url: `/api/courses/${mine.id}`, token: other.token, payload: { name: 'Hijack' } });
    expect(foreign.statusCode).toBe(403);
    const byAdmin = await ctx().request({ method: 'PATCH', url: `/api/courses/${mine.id}`, token: admin.token, payload: { teacherIds: [] } });
    expect(byAdmin.json().teacherIds).toEqual([]);

    const audit = await ctx().db.selectFrom('audit_events').select(['action', 'before', 'after']).where('entity_id', '=', course.id).orderBy('id').execute();
    expect(audit.map((e) => e.action)).toEqual(['course.created', 'course.updated']);
    expect(JSON.parse(audit[1].before ?? '{}').name).toBe('Edit me');
  });

  it('deletes a course with only scheduled sessions; one with history is kept (409)', async () => {
    const plain = await buildCourse(ctx().db, { teacherIds: [teacher.user.id], studentIds: [student.user.id] });
    await buildSession(ctx().db, plain.id);
    expect((await ctx().request({ method: 'DELETE', url: `/api/courses/${plain.id}`, token: admin.token })).statusCode).toBe(204);
    expect(await ctx().db.selectFrom('sessions').select('id').where('course_id', '=', plain.id).execute()).toEqual([]);
    expect(await ctx().db.selectFrom('enrollments').select('student_id').where('course_id', '=', plain.id).execute()).toEqual([]);

    const held = await buildCourse(ctx().db, { teacherIds: [teacher.user.id] });
    await buildSession(ctx().db, held.id, { state: 'closed' });
    const res = await ctx().request({ method: 'DELETE', url: `/api/courses/${held.id}`, token: admin.token });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('conflict');
  });
});

describeEachDialect('enrollment', (ctx) => {
  let admin: string;
  let teacher: { user: BuiltUser; token: string };
  let other: { user: BuiltUser; token: string };

  beforeAll(async () => {
    admin = (await userWithToken(ctx(), 'admin')).token;
    teacher = await userWithToken(ctx(), 'teacher');
    other = await userWithToken(ctx(), 'teacher');
  });

  it('enrolls by ids, numbers and section; repeats are counted, unknowns reported', async () => {
    const course = await buildCourse(ctx().db, { teacherIds: [teacher.user.id] });
    const section = await buildSection(ctx().db);
    const a = await buildUser(ctx().db, { role: 'student', name: 'Ada' });
    const b = await buildUser(ctx().db, { role: 'student', name: 'Brian' });
    const inSection = [await buildUser(ctx().db, { role: 'student', section_id: section.id }), await buildUser(ctx().db, { role: 'student', section_id: section.id })];
    const inactive = await buildUser(ctx().db, { role: 'student', active: 0, section_id: section.id });
    const aTeacher = await buildUser(ctx().db, { role: 'teacher' });
    const url = `/api/courses/${course.id}/enrollments`;

    const byIds = await ctx().request({ method: 'POST', url, token: teacher.token, payload: { studentIds: [a.id, 'missing-id', aTeacher.id] } });
    expect(byIds.statusCode).toBe(200);
    expect(byIds.json()).toEqual({ enrolled: 1, alreadyEnrolled: 0, notFound: ['missing-id', aTeacher.id] });

    const byNumbers = await ctx().request({ method: 'POST', url, token: teacher.token, payload: { studentNumbers: [a.studentNumber, b.studentNumber, 'NO-SUCH-NUMBER', inactive.studentNumber] } });
    expect(byNumbers.json()).toEqual({ enrolled: 1, alreadyEnrolled: 1, notFound: ['NO-SUCH-NUMBER', inactive.studentNumber] });

    const bySection = await ctx().request({ method: 'POST', url, token: admin, payload: { sectionId: section.id, studentIds: [a.id] } });
    expect(bySection.json()).toEqual({ enrolled: 2, alreadyEnrolled: 1, notFound: [] });
    const again = await ctx().request({ method: 'POST', url, token: admin, payload: { sectionId: section.id } });
    expect(again.json()).toEqual({ enrolled: 0, alreadyEnrolled: 2, notFound: [] });

    const unknownSection = await ctx().request({ method: 'POST', url, token: admin, payload: { sectionId: 'nope' } });
    expect(unknownSection.statusCode).toBe(400);
    const empty = await ctx().request({ method: 'POST', url, token: admin, payload: {} });
    expect(empty.statusCode).toBe(400);

    const roster = (await ctx().request({ method: 'GET', url: `/api/courses/${course.id}/students?limit=200`, token: teacher.token })).json();
    expect(roster.items.map((s: { id: string }) => s.id).sort()).toEqual([a.id, b.id, ...inSection.map((s) => s.id)].sort());
    const methods = Object.fromEntries(roster.items.map((s: { id: string; enrollment: { method: string } }) => [s.id, s.enrollment.method]));
    expect(methods[inSection[0].id]).toBe('section');
    expect(methods[a.id]).toBe('manual');
    expect(roster.items[0]).toMatchObject({ role: 'student', enrollment: { enrolledAt: expect.any(String) } });

    const audits = await ctx().db.selectFrom('audit_events').select('student_id').where('action', '=', 'enrollment.created').where('entity_id', 'like', `${course.id}:%`).execute();
    expect(audits).toHaveLength(4);
  });

  it('pages and searches the roster, and removes a student', async () => {
    const course = await buildCourse(ctx().db, { teacherIds: [teacher.user.id] });
    const names = ['Zoe Quinn', 'Adam Smith', 'Maya Patel', 'Liam Wong', 'Ada Lovelace'];
    const students: BuiltUser[] = [];
    for (const name of names) students.push(await buildUser(ctx().db, { role: 'student', name }));
    await ctx().request({ method: 'POST', url: `/api/courses/${course.id}/enrollments`, token: teacher.token, payload: { studentIds: students.map((s) => s.id) } });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await ctx().request({ method: 'GET', url: `/api/courses/${course.id}/students?limit=2${cursor ? `&cursor=${cursor}` : ''}`, token: teacher.token });
      const page = res.json();
      seen.push(...page.items.map((s: { name: string }) => s.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...names].sort());

    const found = (await ctx().request({ method: 'GET', url: `/api/courses/${course.id}/students?q=ada`, token: teacher.token })).json();
    expect(found.items.map((s: { name: string }) => s.name).sort()).toEqual(['Ada Lovelace', 'Adam Smith']);
    const byNumber = (await ctx().request({ method: 'GET', url: `/api/courses/${course.id}/students?q=${students[2].studentNumber}`, token: teacher.token })).json();
    expect(byNumber.items.map((s: { id: string }) => s.id)).toEqual([students[2].id]);

    const removed = await ctx().request({ method: 'DELETE', url: `/api/courses/${course.id}/students/${students[0].id}`, token: teacher.token });
    expect(removed.statusCode).toBe(204);
    const twice = await ctx().request({ method: 'DELETE', url: `/api/courses/${course.id}/students/${students[0].id}`, token: teacher.token });
    expect(twice.statusCode).toBe(404);
    const after = (await ctx().request({ method: 'GET', url: `/api/courses/${course.id}/students`, token: teacher.token })).json();
    expect(after.items).toHaveLength(4);
  });

  it('imports enrollments from CSV: all or nothing, per-line errors, partial on request', async () => {
    const course1 = await buildCourse(ctx().db, { code: 'IMP-101', teacherIds: [teacher.user.id] });
    const course2 = await buildCourse(ctx().db, { code: 'IMP-102', teacherIds: [other.user.id] });
    const s1 = await buildUser(ctx().db, { role: 'student' });
    const s2 = await buildUser(ctx().db, { role: 'student' });
    const csv = [
      'courseCode,studentNumber',
      `IMP-101,${s1.studentNumber}`,
      `IMP-101,${s2.studentNumber}`,
      `IMP-999,${s1.studentNumber}`,
      'IMP-101,NOBODY',
      'IMP-101,',
      '',
      `IMP-102,${s1.studentNumber}`,
      `IMP-101,${s1.studentNumber}`,
    ].join('\n');
    const send = (token: string, body: string, partial = false) =>
      ctx().request({ method: 'POST', url: `/api/enrollments/import${partial ? '?partial=true' : ''}`, token, payload: body, headers: { 'content-type': 'text/csv' } });

    const refused = await send(admin, csv);
    expect(refused.statusCode).toBe(200);
    expect(refused.json()).toEqual({
      enrolled: 0,
      alreadyEnrolled: 0,
      errors: [
        { line: 4, message: 'unknown course "IMP-999"' },
        { line: 5, message: 'no active student with number "NOBODY"' },
        { line: 6, message: 'studentNumber: required' },
      ],
    });
    expect(await ctx().db.selectFrom('enrollments').select('student_id').where('course_id', 'in', [course1.id, course2.id]).execute()).toEqual([]);

    // A teacher may import into their own courses only.
    const asTeacher = await send(teacher.token, csv, true);
    expect(asTeacher.json()).toEqual({
      enrolled: 2,
      alreadyEnrolled: 1,
      errors: [
        { line: 4, message: 'unknown course "IMP-999"' },
        { line: 5, message: 'no active student with number "NOBODY"' },
        { line: 6, message: 'studentNumber: required' },
        { line: 8, message: 'you do not teach "IMP-102"' },
      ],
    });
    const rows = await ctx().db.selectFrom('enrollments').select(['student_id', 'method']).where('course_id', '=', course1.id).execute();
    expect(rows.map((r) => r.method)).toEqual(['import', 'import']);

    const clean = await send(admin, `courseCode,studentNumber\r\nIMP-102,${s1.studentNumber}\r\nIMP-101,${s2.studentNumber}\r\n`);
    expect(clean.json()).toEqual({ enrolled: 1, alreadyEnrolled: 1, errors: [] });

    const badHeader = await send(admin, 'course,student\nIMP-101,x\n');
    expect(badHeader.statusCode).toBe(400);
    expect(badHeader.json().detail).toMatch(/Expected columns: courseCode,studentNumber/);
    const notCsv = await send(admin, 'courseCode,studentNumber\n"unterminated,quote\n');
    expect(notCsv.statusCode).toBe(400);
  });
});
