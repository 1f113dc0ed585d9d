import { expect, it } from 'vitest';
import { buildClassroom, openWithCode, scheduleSession } from './support/classroom.js';
import { buildUser, loginAs } from './support/factories.js';
import { describeEachDialect } from './support/test-app.js';

describeEachDialect('attendance reports', (ctx) => {
  it('counts held sessions only, leaves excused out of the percentage, and never counts cancelled ones', async () => {
    const c = ctx();
    const room = await buildClassroom(c, 4);
    const [a, b, , d] = room.students;
    const post = (url: string, token: string, payload?: unknown) => c.request({ method: 'POST', url, token, payload: payload as object });

    const s1 = await scheduleSession(c, room, -300);
    const { code: code1 } = await openWithCode(c, room, s1, { lateAfterMinutes: 0 });
    await post('/api/checkin', a.token!, { code: code1 });
    await c.request({ method: 'PUT', url: `/api/sessions/${s1}/records/${room.students[1].id}`, token: room.teacherToken, payload: { status: 'late' } });
    await c.request({ method: 'PUT', url: `/api/sessions/${s1}/records/${d.id}`, token: room.teacherToken, payload: { status: 'excused', note: 'doctor' } });
    expect((await post(`/api/sessions/${s1}/close`, room.teacherToken)).statusCode).toBe(200);

    const s2 = await scheduleSession(c, room, -200);
    const { code: code2 } = await openWithCode(c, room, s2);
    await post('/api/checkin', a.token!, { code: code2 });
    await post(`/api/sessions/${s2}/close`, room.teacherToken);

    const s3 = await scheduleSession(c, room, 60);
    expect((await post(`/api/sessions/${s3}/cancel`, room.teacherToken, { reason: 'strike' })).statusCode).toBe(200);
    const s4 = await scheduleSession(c, room, -10);
    const { code: code4 } = await openWithCode(c, room, s4);
    await post('/api/checkin', b.token!, { code: code4 });

    const mine = (await c.request({ method: 'GET', url: '/api/me/attendance', token: a.token })).json();
    expect(mine.items).toHaveLength(1);
    expect(mine.items[0]).toMatchObject({ total: 2, attended: 2, present: 1, late: 1, percentage: 100, belowThreshold: false });
    expect(mine.items[0].course).toMatchObject({ id: room.courseId, thresholdPercent: 75 });
    expect(mine.items[0].records.map((r: { sessionId: string }) => r.sessionId)).toEqual([s1, s2]);

    const bStats = (await c.request({ method: 'GET', url: `/api/me/attendance?courseId=${room.courseId}`, token: b.token })).json().items[0];
    expect(bStats).toMatchObject({ total: 2, attended: 1, late: 1, absent: 1, percentage: 50, belowThreshold: true });
    expect(bStats.records).toHaveLength(3); // the open session's check-in is listed but not counted yet
    expect(bStats.records.map((r: { counted: boolean }) => r.counted)).toEqual([true, true, false]);
    const dStats = (await c.request({ method: 'GET', url: '/api/me/attendance', token: d.token })).json().items[0];
    expect(dStats).toMatchObject({ total: 2, excused: 1, absent: 1, attended: 0, percentage: 0 });

    const report = await c.request({ method: 'GET', url: `/api/courses/${room.courseId}/report`, token: room.teacherToken });
    expect(report.statusCode).toBe(200);
    const body = report.json();
    expect(body.sessions).toBe(2);
    expect(body.summary).toMatchObject({ students: 4, belowThreshold: 3 });
    expect(body.items.map((i: { percentage: number }) => i.percentage)).toEqual([0, 0, 50, 100]);

    const csv = await c.request({ method: 'GET', url: `/api/courses/${room.courseId}/report.csv`, token: room.teacherToken });
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('studentNumber,name,held,present,late,absent,excused,percentage,belowThreshold');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe(`${a.studentNumber},${lines[4].split(',')[1]},2,1,1,0,0,100,false`);

    const records = await c.request({ method: 'GET', url: `/api/courses/${room.courseId}/records.csv`, token: room.teacherToken });
    expect(records.statusCode).toBe(200);
    const rows = records.body.trim().split('\r\n');
    expect(rows[0]).toMatch(/^sessionNumber,startsAt,studentNumber/);
    expect(rows).toHaveLength(1 + 4 + 4 + 1);
    expect(rows.filter((r) => r.includes(',excused,'))).toHaveLength(1);
  });

  it('does not count sessions held before a student joined the course', async () => {
    const c = ctx();
    const room = await buildClassroom(c, 1);
    const s1 = await scheduleSession(c, room, -300);
    await openWithCode(c, room, s1);
    await c.request({ method: 'POST', url: `/api/sessions/${s1}/close`, token: room.teacherToken });
    const late = await buildUser(c.db, { role: 'student' });
    await c.request({ method: 'POST', url: `/api/courses/${room.courseId}/enrollments`, token: room.teacherToken, payload: { studentIds: [late.id] } });
    const s2 = await scheduleSession(c, room, -100);
    const { code } = await openWithCode(c, room, s2);
    const token = await loginAs(c, late);
    await c.request({ method: 'POST', url: '/api/checkin', token, payload: { code } });
    await c.request({ method: 'POST', url: `/api/sessions/${s2}/close`, token: room.teacherToken });
    const mine = (await c.request({ method: 'GET', url: '/api/me/attendance', token })).json().items[0];
    expect(mine).toMatchObject({ total: 1, attended: 1, absent: 0, percentage: 100 });
    expect(mine.records).toEqual([expect.objectContaining({ sessionId: s2, counted: true })]);
    const report = (await c.request({ method: 'GET', url: `/api/courses/${room.courseId}/report`, token: room.teacherToken })).json();
    expect(report.sessions).toBe(2);
    expect(report.items.find((i: { student: { id: string } }) => i.student.id === late.id)).toMatchObject({ total: 1, percentage: 100 });
  });

  it('lets only the course staff read reports, and only students their own figures', async () => {
    const c = ctx();
    const room = await buildClassroom(c, 1);
    const other = await loginAs(c, await buildUser(c.db, { role: 'teacher' }));
    for (const url of [`/api/courses/${room.courseId}/report`, `/api/courses/${room.courseId}/report.csv`, `/api/courses/${room.courseId}/records.csv`]) {
      expect((await c.request({ method: 'GET', url })).statusCode, url).toBe(401);
      expect((await c.request({ method: 'GET', url, token: room.students[0].token })).statusCode, url).toBe(403);
      const res = await c.request({ method: 'GET', url, token: other });
      expect(res.statusCode, url).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await c.request({ method: 'GET', url: '/api/me/attendance', token: room.teacherToken })).statusCode).toBe(403);
    const stranger = await loginAs(c, await buildUser(c.db, { role: 'student' }));
    expect((await c.request({ method: 'GET', url: `/api/me/attendance?courseId=${room.courseId}`, token: stranger })).statusCode).toBe(403);
    expect((await c.request({ method: 'GET', url: '/api/me/attendance', token: stranger })).json()).toEqual({ items: [] });
  });
});
