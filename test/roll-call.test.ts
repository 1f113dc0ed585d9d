import { beforeAll, expect, it } from 'vitest';
import { buildClassroom, scheduleSession, openWithCode, type Classroom } from './support/classroom.js';
import { buildUser, loginAs, userWithToken } from './support/factories.js';
import { describeEachDialect, type TestContext } from './support/test-app.js';
import { openAuthedSocket, wsUrlOf, type TestSocket, type WsMessage } from './support/ws-client.js';

const recordOf = (m: WsMessage) => (m.data as { record: { studentId: string; status: string; version: number } }).record;

/** A classroom with a second teacher (an assistant) on the course. */
async function withAssistant(ctx: TestContext, room: Classroom) {
  const assistant = await buildUser(ctx.db, { role: 'teacher' });
  const res = await ctx.request({
    method: 'PATCH',
    url: `/api/courses/${room.courseId}`,
    token: room.teacherToken,
    payload: { teacherIds: [room.teacher.id, assistant.id] },
  });
  expect(res.statusCode, res.body).toBe(200);
  return { assistant, assistantToken: await loginAs(ctx, assistant) };
}

function mark(ctx: TestContext, token: string, sessionId: string, studentId: string, payload: Record<string, unknown>) {
  return ctx.request({ method: 'PUT', url: `/api/sessions/${sessionId}/records/${studentId}`, token, payload });
}

describeEachDialect('roll call and record edits', (ctx) => {
  beforeAll(async () => {
    await ctx().app.listen({ port: 0, host: '127.0.0.1' });
  });

  it('marks students through HTTP: new records are rollcall, edits keep the method, versions go up, all audited', async () => {
    const room = await buildClassroom(ctx(), 3);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    const [a, b, c] = room.students;

    const first = await mark(ctx(), room.teacherToken, sessionId, a.id, { status: 'present' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().record).toMatchObject({
      sessionId,
      studentId: a.id,
      status: 'present',
      state: 'confirmed',
      method: 'rollcall',
      updatedBy: room.teacher.id,
      note: null,
      version: 1,
    });
    expect(first.json().record.checkedInAt).toEqual(expect.any(String));

    const absent = await mark(ctx(), room.teacherToken, sessionId, b.id, { status: 'absent' });
    expect(absent.json().record).toMatchObject({ status: 'absent', method: 'rollcall', checkedInAt: null });

    // A student who checked in with the code keeps method `code` when the teacher corrects them.
    const checkin = await ctx().request({ method: 'POST', url: '/api/checkin', token: c.token, payload: { code } });
    expect(checkin.statusCode).toBe(201);
    const late = await mark(ctx(), room.teacherToken, sessionId, c.id, { status: 'late', note: 'came in at 9:20' });
    expect(late.json().record).toMatchObject({ status: 'late', method: 'code', note: 'came in at 9:20', version: 2 });

    // The same mark again changes nothing: no new version, no audit event.
    const again = await mark(ctx(), room.teacherToken, sessionId, c.id, { status: 'late' });
    expect(again.json().record).toMatchObject({ status: 'late', note: 'came in at 9:20', version: 2 });

    const summary = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/summary`, token: room.teacherToken });
    expect(summary.json()).toMatchObject({ enrolled: 3, present: 1, late: 1, absent: 1, unmarked: 0 });

    const audit = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/audit?studentId=${c.id}`, token: room.teacherToken });
    expect(audit.statusCode, audit.body).toBe(200);
    expect(audit.json().items.map((e: { action: string }) => e.action)).toEqual(['record.updated', 'record.checked_in']);
    expect(audit.json().items[0]).toMatchObject({
      actorId: room.teacher.id,
      studentId: c.id,
      before: { status: 'present', version: 1 },
      after: { status: 'late', version: 2 },
      reason: 'came in at 9:20',
    });
    expect(audit.json().items[0].actorName).toMatch(/^Test teacher/);
  });

  it('refuses a scheduled or cancelled session, a student outside the course, other teachers and students', async () => {
    const room = await buildClassroom(ctx(), 1);
    const sessionId = await scheduleSession(ctx(), room);
    const s = room.students[0];
    const scheduled = await mark(ctx(), room.teacherToken, sessionId, s.id, { status: 'present' });
    expect(scheduled.statusCode).toBe(409);
    expect(scheduled.json().code).toBe('invalid_state');

    const cancelledId = await scheduleSession(ctx(), room, 60 * 24);
    const cancel = await ctx().request({ method: 'POST', url: `/api/sessions/${cancelledId}/cancel`, token: room.teacherToken, payload: { reason: 'strike' } });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const cancelled = await mark(ctx(), room.teacherToken, cancelledId, s.id, { status: 'present' });
    expect(cancelled.statusCode).toBe(409);
    expect(cancelled.json().code).toBe('invalid_state');

    await openWithCode(ctx(), room, sessionId);
    const stranger = await buildUser(ctx().db, { role: 'student' });
    const notEnrolled = await mark(ctx(), room.teacherToken, sessionId, stranger.id, { status: 'present' });
    expect(notEnrolled.statusCode).toBe(403);
    expect(notEnrolled.json().code).toBe('not_enrolled');

    const other = await userWithToken(ctx(), 'teacher');
    expect((await mark(ctx(), other.token, sessionId, s.id, { status: 'present' })).statusCode).toBe(403);
    expect((await mark(ctx(), s.token!, sessionId, s.id, { status: 'present' })).statusCode).toBe(403);
    expect((await ctx().request({ method: 'PUT', url: `/api/sessions/${sessionId}/records/${s.id}`, payload: { status: 'present' } })).statusCode).toBe(401);
    const bad = await mark(ctx(), room.teacherToken, sessionId, s.id, { status: 'here' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('validation_failed');
    expect((await mark(ctx(), room.teacherToken, 'no-such-session', s.id, { status: 'present' })).statusCode).toBe(404);
  });

  it('takes an optional expectedVersion: a stale edit is 409 conflict, a current one applies', async () => {
    const room = await buildClassroom(ctx(), 1);
    const sessionId = await scheduleSession(ctx(), room);
    await openWithCode(ctx(), room, sessionId);
    const s = room.students[0];
    const v1 = (await mark(ctx(), room.teacherToken, sessionId, s.id, { status: 'present' })).json().record;
    const v2 = (await mark(ctx(), room.teacherToken, sessionId, s.id, { status: 'late', expectedVersion: v1.version })).json().record;
    expect(v2.version).toBe(2);
    const stale = await mark(ctx(), room.teacherToken, sessionId, s.id, { status: 'absent', expectedVersion: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('conflict');
    const current = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/records`, token: room.teacherToken });
    expect(current.json().items[0]).toMatchObject({ status: 'late', version: 2 });
  });

  it('runs seed 001 over the socket: ATTENDANCE_MARKED, TODAY_SUMMARY, MY_ATTENDANCE and DONE, by sessionId and by classId', async () => {
    const room = await buildClassroom(ctx(), 3);
    const sessionId = await scheduleSession(ctx(), room);
    const url = wsUrlOf(ctx().app);
    const teacher = await openAuthedSocket(url, room.teacherToken);
    const student = await openAuthedSocket(url, room.students[0].token!);
    try {
      // classId names the course's open session: none yet.
      const none = await teacher.request('ATTENDANCE_MARKED', { classId: room.courseId, studentId: room.students[0].id, status: 'present' });
      expect(none).toMatchObject({ event: 'ERROR', data: { code: 'no_active_session' } });
      await openWithCode(ctx(), room, sessionId);
      await teacher.subscribe(`session:${sessionId}`);

      const updated = teacher.next((m) => m.event === 'RECORD_UPDATED' && recordOf(m).studentId === room.students[0].id, 'RECORD_UPDATED');
      const ack = await teacher.request('ATTENDANCE_MARKED', { classId: room.courseId, studentId: room.students[0].id, status: 'present' });
      expect(ack).toMatchObject({ event: 'ACK', data: { record: { sessionId, studentId: room.students[0].id, status: 'present', method: 'rollcall' } } });
      expect(recordOf(await updated)).toMatchObject({ status: 'present', version: 1 });

      const byId = await teacher.request('ATTENDANCE_MARKED', { sessionId, studentId: room.students[1].id, status: 'absent' });
      expect(byId).toMatchObject({ event: 'ACK', data: { record: { status: 'absent' } } });

      const summary = await teacher.request('TODAY_SUMMARY', { classId: room.courseId });
      expect(summary).toMatchObject({ event: 'SUMMARY', data: { sessionId, summary: { enrolled: 3, present: 1, absent: 1, unmarked: 1 } } });
      const summaryById = await teacher.request('TODAY_SUMMARY', { sessionId });
      expect(summaryById.data).toEqual(summary.data);

      const mine = await student.request('MY_ATTENDANCE', { classId: room.courseId });
      expect(mine).toMatchObject({ event: 'MY_ATTENDANCE', data: { sessionId, record: { studentId: room.students[0].id, status: 'present' } } });
      const otherStudent = await openAuthedSocket(url, room.students[2].token!);
      try {
        expect(await otherStudent.request('MY_ATTENDANCE', { sessionId })).toMatchObject({ event: 'MY_ATTENDANCE', data: { sessionId, record: null } });
      } finally {
        otherStudent.close();
      }

      // Roles: a student cannot mark, summarise or close; a teacher has no MY_ATTENDANCE.
      expect(await student.request('ATTENDANCE_MARKED', { sessionId, studentId: room.students[0].id, status: 'excused' })).toMatchObject({
        event: 'ERROR',
        data: { code: 'forbidden' },
      });
      expect(await student.request('TODAY_SUMMARY', { sessionId })).toMatchObject({ event: 'ERROR', data: { code: 'forbidden' } });
      expect(await student.request('DONE', { sessionId })).toMatchObject({ event: 'ERROR', data: { code: 'forbidden' } });
      expect(await teacher.request('MY_ATTENDANCE', { sessionId })).toMatchObject({ event: 'ERROR', data: { code: 'forbidden' } });
      expect(await teacher.request('ATTENDANCE_MARKED', { studentId: room.students[0].id, status: 'present' })).toMatchObject({
        event: 'ERROR',
        data: { code: 'validation_failed' },
      });

      const closed = teacher.nextEvent('SESSION_CLOSED');
      const done = await teacher.request('DONE', { classId: room.courseId });
      expect(done).toMatchObject({ event: 'ACK', data: { session: { id: sessionId, state: 'closed' }, summary: { absent: 2, present: 1, unmarked: 0 } } });
      expect((await closed).data).toMatchObject({ session: { id: sessionId, state: 'closed' } });
      expect(await teacher.request('DONE', { classId: room.courseId })).toMatchObject({ event: 'ERROR', data: { code: 'no_active_session' } });
      expect(await teacher.request('DONE', { sessionId })).toMatchObject({ event: 'ERROR', data: { code: 'invalid_state' } });
    } finally {
      teacher.close();
      student.close();
    }
  });

  it('a teacher of another course gets forbidden over the socket, by sessionId and by classId', async () => {
    const room = await buildClassroom(ctx(), 1);
    const sessionId = await scheduleSession(ctx(), room);
    await openWithCode(ctx(), room, sessionId);
    const other = await userWithToken(ctx(), 'teacher');
    const socket = await openAuthedSocket(wsUrlOf(ctx().app), other.token);
    try {
      for (const ref of [{ sessionId }, { classId: room.courseId }]) {
        expect(await socket.request('ATTENDANCE_MARKED', { ...ref, studentId: room.students[0].id, status: 'present' })).toMatchObject({
          event: 'ERROR',
          data: { code: 'forbidden' },
        });
        expect(await socket.request('TODAY_SUMMARY', ref)).toMatchObject({ event: 'ERROR', data: { code: 'forbidden' } });
        expect(await socket.request('DONE', ref)).toMatchObject({ event: 'ERROR', data: { code: 'forbidden' } });
      }
    } finally {
      socket.close();
    }
  });

  it('two teachers marking at once converge, every write audited, and each sees the other live', async () => {
    const room = await buildClassroom(ctx(), 6);
    const { assistant, assistantToken } = await withAssistant(ctx(), room);
    const sessionId = await scheduleSession(ctx(), room);
    await openWithCode(ctx(), room, sessionId);
    const url = wsUrlOf(ctx().app);
    const sockets: TestSocket[] = [await openAuthedSocket(url, room.teacherToken), await openAuthedSocket(url, assistantToken)];
    try {
      for (const s of sockets) await s.subscribe(`session:${sessionId}`);
      const [teacher, assist] = sockets;
      const statuses = ['present', 'late', 'absent', 'excused'] as const;
      // Each teacher marks every student, all at once, one over HTTP and one over the socket.
      const marks = room.students.flatMap((s, i) => [
        mark(ctx(), room.teacherToken, sessionId, s.id, { status: statuses[i % 4] }).then((r) => {
          expect(r.statusCode, r.body).toBe(200);
        }),
        assist.request('ATTENDANCE_MARKED', { sessionId, studentId: s.id, status: statuses[(i + 1) % 4] }).then((r) => {
          expect(r.event, JSON.stringify(r)).toBe('ACK');
        }),
      ]);
      await Promise.all(marks);

      const records = (await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/records`, token: room.teacherToken })).json().items as {
        studentId: string;
        status: string;
        version: number;
        method: string;
      }[];
      expect(records).toHaveLength(6);
      const audit = (await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/audit?limit=200`, token: room.teacherToken })).json().items as {
        action: string;
        actorId: string;
        studentId: string;
        after: { status: string; version: number };
      }[];
      for (const r of records) {
        expect(r.method).toBe('rollcall');
        // Two different marks: the first created the record, the second changed it (version 2).
        expect(r.version).toBe(2);
        const events = audit.filter((e) => e.studentId === r.studentId && e.action.startsWith('record.'));
        expect(events.map((e) => e.action)).toEqual(['record.updated', 'record.marked']);
        expect(new Set(events.map((e) => e.actorId))).toEqual(new Set([room.teacher.id, assistant.id]));
        // The last write won, and it is what the newest audit event says.
        expect(events[0].after).toMatchObject({ status: r.status, version: 2 });
        // Both teachers' sockets saw the final state of every student.
        for (const s of sockets) {
          await s.next(
            (m) => m.event === 'RECORD_UPDATED' && recordOf(m).studentId === r.studentId && recordOf(m).version === 2 && recordOf(m).status === r.status,
            `final RECORD_UPDATED of ${r.studentId}`,
          );
        }
      }
      // Each teacher saw the other's marks live (not only their own).
      for (const [viewer, actorId] of [
        [teacher, assistant.id],
        [assist, room.teacher.id],
      ] as const) {
        expect(
          viewer.messages.some(
            (m) => m.event === 'RECORD_UPDATED' && (m.data as { record: { updatedBy: string } }).record.updatedBy === actorId,
          ),
        ).toBe(true);
      }
      const summary = await teacher.next(
        (m) => m.event === 'SUMMARY' && (m.data as { summary: { unmarked: number } }).summary.unmarked === 0,
        'SUMMARY with everyone marked',
      );
      expect(summary.data).toMatchObject({ sessionId, summary: { enrolled: 6 } });
    } finally {
      for (const s of sockets) s.close();
    }
  });

  it('edits records after close with a trail of who, before, after and why; the student sees their own history', async () => {
    const room = await buildClassroom(ctx(), 2);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    const [a, b] = room.students;
    expect((await ctx().request({ method: 'POST', url: '/api/checkin', token: a.token, payload: { code } })).statusCode).toBe(201);
    const close = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
    expect(close.statusCode).toBe(200);

    const excused = await mark(ctx(), room.teacherToken, sessionId, b.id, { status: 'excused', note: "doctor's note" });
    expect(excused.statusCode, excused.body).toBe(200);
    expect(excused.json().record).toMatchObject({ status: 'excused', method: 'auto', note: "doctor's note", version: 2 });
    const { user: admin, token: adminToken } = await userWithToken(ctx(), 'admin');
    const corrected = await mark(ctx(), adminToken, sessionId, a.id, { status: 'late', note: 'arrived after the break' });
    expect(corrected.json().record).toMatchObject({ status: 'late', method: 'code', updatedBy: admin.id, version: 2 });

    const audit = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/audit`, token: room.teacherToken });
    const items = audit.json().items as { action: string; actorId: string | null; studentId: string | null; before: unknown; after: unknown; reason: string | null; at: string }[];
    expect(items.map((e) => [e.action, e.studentId])).toEqual([
      ['record.updated', a.id],
      ['record.updated', b.id],
      ['session.closed', null],
      ['record.auto_absent', b.id],
      ['record.checked_in', a.id],
      ['session.opened', null],
      ['session.created', null],
    ]);
    expect(items[0]).toMatchObject({ actorId: admin.id, before: { status: 'present' }, after: { status: 'late' }, reason: 'arrived after the break' });
    expect(items[1]).toMatchObject({ actorId: room.teacher.id, before: { status: 'absent', method: 'auto' }, after: { status: 'excused' }, reason: "doctor's note" });
    expect(items[2]).toMatchObject({ actorId: room.teacher.id, after: { state: 'closed', autoAbsent: 1 } });
    expect([...items].sort((x, y) => y.at.localeCompare(x.at)).map((e) => e.at)).toEqual(items.map((e) => e.at));

    // Paging walks the same list.
    const page1 = (await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/audit?limit=4`, token: room.teacherToken })).json();
    expect(page1.items).toHaveLength(4);
    const page2 = (
      await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/audit?limit=4&cursor=${page1.nextCursor}`, token: room.teacherToken })
    ).json();
    expect(page2.nextCursor).toBeNull();
    expect([...page1.items, ...page2.items].map((e: { id: string }) => e.id)).toEqual((audit.json().items as { id: string }[]).map((e) => e.id));

    // Only course staff read the session's trail.
    expect((await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/audit`, token: b.token })).statusCode).toBe(403);
    expect((await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/audit`, token: (await userWithToken(ctx(), 'teacher')).token })).statusCode).toBe(403);

    const history = await ctx().request({ method: 'GET', url: `/api/me/records/${sessionId}/history`, token: b.token });
    expect(history.statusCode, history.body).toBe(200);
    expect(history.json().record).toMatchObject({ studentId: b.id, status: 'excused' });
    expect(history.json().items.map((e: { action: string }) => e.action)).toEqual(['record.updated', 'record.auto_absent']);
    expect(history.json().items[0]).toMatchObject({ actorId: room.teacher.id, reason: "doctor's note", before: { status: 'absent' }, after: { status: 'excused' } });
    const stranger = await userWithToken(ctx(), 'student');
    expect((await ctx().request({ method: 'GET', url: `/api/me/records/${sessionId}/history`, token: stranger.token })).statusCode).toBe(403);
    expect((await ctx().request({ method: 'GET', url: `/api/me/records/${sessionId}/history`, token: room.teacherToken })).statusCode).toBe(403);
  });

  it('deletes a record (admins only): audited with the record, RECORD_DELETED and a new summary live', async () => {
    const room = await buildClassroom(ctx(), 2);
    const sessionId = await scheduleSession(ctx(), room);
    await openWithCode(ctx(), room, sessionId);
    const s = room.students[0];
    const record = (await mark(ctx(), room.teacherToken, sessionId, s.id, { status: 'present' })).json().record;
    const url = `/api/sessions/${sessionId}/records/${s.id}`;

    const byTeacher = await ctx().request({ method: 'DELETE', url, token: room.teacherToken });
    expect(byTeacher.statusCode).toBe(403);
    expect(byTeacher.json().code).toBe('forbidden');
    expect((await ctx().request({ method: 'DELETE', url, token: s.token })).statusCode).toBe(403);
    expect((await ctx().request({ method: 'DELETE', url })).statusCode).toBe(401);

    const { user: admin, token: adminToken } = await userWithToken(ctx(), 'admin');
    const watcher = await openAuthedSocket(wsUrlOf(ctx().app), room.teacherToken);
    try {
      await watcher.subscribe(`session:${sessionId}`);
      const deletedEvent = watcher.nextEvent('RECORD_DELETED');
      const del = await ctx().request({ method: 'DELETE', url: `${url}?reason=${encodeURIComponent('marked by mistake')}`, token: adminToken });
      expect(del.statusCode, del.body).toBe(204);
      expect((await deletedEvent).data).toEqual({ sessionId, studentId: s.id, recordId: record.id });
      await watcher.next((m) => m.event === 'SUMMARY' && (m.data as { summary: { unmarked: number } }).summary.unmarked === 2, 'SUMMARY after delete');
    } finally {
      watcher.close();
    }
    expect((await ctx().request({ method: 'DELETE', url, token: adminToken })).statusCode).toBe(404);

    const audit = (await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/audit?studentId=${s.id}`, token: room.teacherToken })).json().items;
    expect(audit[0]).toMatchObject({ action: 'record.deleted', actorId: admin.id, before: { id: record.id, status: 'present' }, after: null, reason: 'marked by mistake' });
    // The student can be marked again afterwards: a new record.
    const again = await mark(ctx(), room.teacherToken, sessionId, s.id, { status: 'late' });
    expect(again.json().record).toMatchObject({ status: 'late', version: 1 });
    expect(again.json().record.id).not.toBe(record.id);
  });
});
