import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect, type TestContext } from './support/test-app.js';
import { buildUser, loginAs, type BuiltUser } from './support/factories.js';
import { buildCourse, buildDepartment, buildSection, buildSession } from './support/course-factories.js';

/** Every endpoint of courses, structure, enrollment, sessions and calendar × every kind of caller. */
type Caller = 'anonymous' | 'student' | 'teacher' | 'otherTeacher' | 'admin';
const CALLERS: Caller[] = ['anonymous', 'student', 'teacher', 'otherTeacher', 'admin'];
type Signed = Exclude<Caller, 'anonymous'>;

interface World {
  users: Record<Signed, BuiltUser>;
  tokens: Record<Signed, string>;
}

/** Fresh records per request, so deletes and cancels never see each other's leftovers. */
interface Fixture {
  courseId: string;
  courseCode: string;
  sessionId: string;
  departmentId: string;
  sectionId: string;
  extraStudent: BuiltUser;
  n: string;
}

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: (fx: Fixture) => string;
  payload?: (fx: Fixture, w: World) => unknown;
  contentType?: string;
  expected: Record<Caller, number>;
}

const staffRead = (ok: number) => ({ anonymous: 401, student: 403, teacher: ok, otherTeacher: ok, admin: ok });
const adminOnly = (ok: number) => ({ anonymous: 401, student: 403, teacher: 403, otherTeacher: 403, admin: ok });
const courseStaff = (ok: number) => ({ anonymous: 401, student: 403, teacher: ok, otherTeacher: 403, admin: ok });
const anyUser = (ok: number) => ({ anonymous: 401, student: ok, teacher: ok, otherTeacher: ok, admin: ok });

const bulkBody = { from: '2030-01-07', until: '2030-01-20', weekdays: [1, 3], startTime: '09:00', endTime: '10:00' };

const CASES: Case[] = [
  { name: 'list departments', method: 'GET', url: () => '/api/departments', expected: staffRead(200) },
  {
    name: 'create department',
    method: 'POST',
    url: () => '/api/departments',
    payload: (fx) => ({ code: `NEW${fx.n}`, name: 'New department' }),
    expected: adminOnly(201),
  },
  { name: 'get department', method: 'GET', url: (fx) => `/api/departments/${fx.departmentId}`, expected: staffRead(200) },
  {
    name: 'edit department',
    method: 'PATCH',
    url: (fx) => `/api/departments/${fx.departmentId}`,
    payload: () => ({ name: 'Renamed' }),
    expected: adminOnly(200),
  },
  { name: 'delete department', method: 'DELETE', url: (fx) => `/api/departments/${fx.departmentId}`, expected: adminOnly(204) },

  { name: 'list sections', method: 'GET', url: () => '/api/sections', expected: staffRead(200) },
  {
    name: 'create section',
    method: 'POST',
    url: () => '/api/sections',
    payload: (fx) => ({ name: `Section ${fx.n}`, departmentId: fx.departmentId, cohort: '2026' }),
    expected: adminOnly(201),
  },
  { name: 'get section', method: 'GET', url: (fx) => `/api/sections/${fx.sectionId}`, expected: staffRead(200) },
  {
    name: 'edit section',
    method: 'PATCH',
    url: (fx) => `/api/sections/${fx.sectionId}`,
    payload: () => ({ cohort: '2027' }),
    expected: adminOnly(200),
  },
  { name: 'delete section', method: 'DELETE', url: (fx) => `/api/sections/${fx.sectionId}`, expected: adminOnly(204) },

  { name: 'list courses', method: 'GET', url: () => '/api/courses', expected: anyUser(200) },
  { name: 'my courses', method: 'GET', url: () => '/api/me/courses', expected: anyUser(200) },
  {
    name: 'create course',
    method: 'POST',
    url: () => '/api/courses',
    payload: (fx) => ({ code: `NEW${fx.n}`, name: 'New course' }),
    expected: { anonymous: 401, student: 403, teacher: 201, otherTeacher: 201, admin: 201 },
  },
  {
    name: 'get course (the student is enrolled)',
    method: 'GET',
    url: (fx) => `/api/courses/${fx.courseId}`,
    expected: { anonymous: 401, student: 200, teacher: 200, otherTeacher: 403, admin: 200 },
  },
  {
    name: 'edit course',
    method: 'PATCH',
    url: (fx) => `/api/courses/${fx.courseId}`,
    payload: () => ({ name: 'Renamed course', thresholdPercent: 80 }),
    expected: courseStaff(200),
  },
  { name: 'delete course', method: 'DELETE', url: (fx) => `/api/courses/${fx.courseId}`, expected: adminOnly(204) },

  {
    name: 'enroll',
    method: 'POST',
    url: (fx) => `/api/courses/${fx.courseId}/enrollments`,
    payload: (fx) => ({ studentIds: [fx.extraStudent.id] }),
    expected: courseStaff(200),
  },
  { name: 'roster', method: 'GET', url: (fx) => `/api/courses/${fx.courseId}/students`, expected: courseStaff(200) },
  {
    name: 'unenroll',
    method: 'DELETE',
    url: (fx) => `/api/courses/${fx.courseId}/students/${fx.extraStudent.id}`,
    expected: courseStaff(204),
  },
  {
    name: 'import enrollments (another teacher gets per-line errors)',
    method: 'POST',
    url: () => '/api/enrollments/import',
    contentType: 'text/csv',
    payload: (fx) => `courseCode,studentNumber\n${fx.courseCode},${fx.extraStudent.studentNumber}\n`,
    expected: staffRead(200),
  },

  {
    name: 'add a session',
    method: 'POST',
    url: (fx) => `/api/courses/${fx.courseId}/sessions`,
    payload: () => ({ startsAt: '2030-02-01T09:00:00Z', endsAt: '2030-02-01T10:00:00Z' }),
    expected: courseStaff(201),
  },
  { name: 'add sessions in bulk', method: 'POST', url: (fx) => `/api/courses/${fx.courseId}/sessions/bulk`, payload: () => bulkBody, expected: courseStaff(201) },
  {
    name: 'preview bulk sessions',
    method: 'POST',
    url: (fx) => `/api/courses/${fx.courseId}/sessions/bulk/preview`,
    payload: () => bulkBody,
    expected: courseStaff(200),
  },
  { name: 'list sessions', method: 'GET', url: () => '/api/sessions', expected: staffRead(200) },
  { name: "list one course's sessions", method: 'GET', url: (fx) => `/api/sessions?courseId=${fx.courseId}`, expected: courseStaff(200) },
  { name: 'get session', method: 'GET', url: (fx) => `/api/sessions/${fx.sessionId}`, expected: courseStaff(200) },
  {
    name: 'edit session',
    method: 'PATCH',
    url: (fx) => `/api/sessions/${fx.sessionId}`,
    payload: () => ({ venue: 'Hall B' }),
    expected: courseStaff(200),
  },
  { name: 'delete session', method: 'DELETE', url: (fx) => `/api/sessions/${fx.sessionId}`, expected: courseStaff(204) },
  {
    name: 'cancel session',
    method: 'POST',
    url: (fx) => `/api/sessions/${fx.sessionId}/cancel`,
    payload: () => ({ reason: 'Teacher ill' }),
    expected: courseStaff(200),
  },

  { name: 'my sessions', method: 'GET', url: () => '/api/me/sessions', expected: anyUser(200) },
  { name: 'my calendar url', method: 'GET', url: () => '/api/me/calendar-url', expected: anyUser(200) },
  { name: 'reset my calendar url', method: 'POST', url: () => '/api/me/calendar-url/reset', expected: anyUser(200) },
];

describeEachDialect('courses, structure, sessions: every endpoint × every role', (ctx) => {
  let w: World;
  let counter = 0;

  beforeAll(async () => {
    const c: TestContext = ctx();
    const users = {
      student: await buildUser(c.db, { role: 'student' }),
      teacher: await buildUser(c.db, { role: 'teacher' }),
      otherTeacher: await buildUser(c.db, { role: 'teacher' }),
      admin: await buildUser(c.db, { role: 'admin' }),
    };
    const tokens = {} as Record<Signed, string>;
    for (const k of Object.keys(users) as Signed[]) tokens[k] = await loginAs(c, users[k]);
    w = { users, tokens };
  });

  async function fixture(): Promise<Fixture> {
    const db = ctx().db;
    const department = await buildDepartment(db);
    const section = await buildSection(db, { department_id: null });
    const course = await buildCourse(db, { teacherIds: [w.users.teacher.id], studentIds: [w.users.student.id] });
    const session = await buildSession(db, course.id);
    const extraStudent = await buildUser(db, { role: 'student' });
    // The other teacher teaches something too, so "theirs" is never simply "nothing".
    await buildCourse(db, { teacherIds: [w.users.otherTeacher.id] });
    await db.insertInto('enrollments').values({ course_id: course.id, student_id: extraStudent.id, method: 'manual', created_at: new Date().toISOString() }).execute();
    return {
      courseId: course.id,
      courseCode: course.code,
      sessionId: session.id,
      departmentId: department.id,
      sectionId: section.id,
      extraStudent,
      n: `${Date.now().toString(36)}${counter++}`.toUpperCase(),
    };
  }

  for (const c of CASES) {
    it(`${c.method} ${c.name}`, async () => {
      const got: Record<string, number> = {};
      for (const caller of CALLERS) {
        const fx = await fixture();
        const payload = c.payload?.(fx, w);
        const res = await ctx().request({
          method: c.method,
          url: c.url(fx),
          token: caller === 'anonymous' ? undefined : w.tokens[caller],
          ...(payload === undefined
            ? {}
            : c.contentType
              ? { payload: payload as string, headers: { 'content-type': c.contentType } }
              : { payload: payload as object }),
        });
        got[caller] = res.statusCode;
        if (res.statusCode >= 400) {
          expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
          expect(res.json().code).toBe({ 401: 'unauthenticated', 403: 'forbidden' }[res.statusCode as 401 | 403] ?? res.json().code);
        }
      }
      expect(got).toEqual(c.expected);
    });
  }

  it('a student not enrolled in a course cannot read it; an unknown course is 404 for everyone', async () => {
    const course = await buildCourse(ctx().db, { teacherIds: [w.users.teacher.id] });
    const res = await ctx().request({ method: 'GET', url: `/api/courses/${course.id}`, token: w.tokens.student });
    expect(res.statusCode).toBe(403);
    for (const caller of ['student', 'teacher', 'admin'] as const) {
      const missing = await ctx().request({ method: 'GET', url: '/api/courses/no-such-course', token: w.tokens[caller] });
      expect(missing.statusCode).toBe(404);
    }
    const missingSession = await ctx().request({ method: 'GET', url: '/api/sessions/no-such-session', token: w.tokens.admin });
    expect(missingSession.statusCode).toBe(404);
  });
});
