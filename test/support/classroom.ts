// Builds a teacher, a course and enrolled students through the API: the scene most attendance tests start from.
import { expect } from 'vitest';
import { buildUser, loginAs, type BuiltUser } from './factories.js';
import type { TestContext } from './test-app.js';

export interface Classroom {
  teacher: BuiltUser;
  teacherToken: string;
  courseId: string;
  courseCode: string;
  students: (BuiltUser & { token?: string })[];
}

let n = 0;

/** A teacher with a course of `size` enrolled students (created through the API). */
export async function buildClassroom(ctx: TestContext, size: number, opts: { loginStudents?: number } = {}): Promise<Classroom> {
  const teacher = await buildUser(ctx.db, { role: 'teacher' });
  const teacherToken = await loginAs(ctx, teacher);
  const code = `C${Date.now().toString(36).toUpperCase()}${n++}`;
  const course = await ctx.request({ method: 'POST', url: '/api/courses', token: teacherToken, payload: { code, name: `Course ${code}` } });
  expect(course.statusCode, course.body).toBe(201);
  const students: Classroom['students'] = [];
  for (let i = 0; i < size; i++) students.push(await buildUser(ctx.db, { role: 'student' }));
  if (size > 0) {
    const enr = await ctx.request({
      method: 'POST',
      url: `/api/courses/${course.json().id}/enrollments`,
      token: teacherToken,
      payload: { studentIds: students.map((s) => s.id) },
    });
    expect(enr.statusCode, enr.body).toBe(200);
  }
  for (let i = 0; i < Math.min(opts.loginStudents ?? size, size); i++) students[i].token = await loginAs(ctx, students[i]);
  return { teacher, teacherToken, courseId: course.json().id, courseCode: code, students };
}

/** A session of the classroom's course starting `startsInMinutes` from now (negative: already started). */
export async function scheduleSession(ctx: TestContext, room: Classroom, startsInMinutes = -1, durationMinutes = 90): Promise<string> {
  const startsAt = new Date(Date.now() + startsInMinutes * 60_000);
  const endsAt = new Date(startsAt.getTime() + durationMinutes * 60_000);
  const res = await ctx.request({
    method: 'POST',
    url: `/api/courses/${room.courseId}/sessions`,
    token: room.teacherToken,
    payload: { startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), venue: 'Room 1' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

/** Opens the session (with an optional policy patch) and returns its current code and QR URL. */
export async function openWithCode(ctx: TestContext, room: Classroom, sessionId: string, policy: Record<string, unknown> = {}) {
  const open = await ctx.request({ method: 'POST', url: `/api/sessions/${sessionId}/open`, token: room.teacherToken, payload: policy });
  expect(open.statusCode, open.body).toBe(200);
  const code = await ctx.request({ method: 'GET', url: `/api/sessions/${sessionId}/code`, token: room.teacherToken });
  expect(code.statusCode, code.body).toBe(200);
  return code.json() as { code: string; expiresAt: string; rotateSeconds: number; url: string };
}
