import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../server/app.js';
import { closeOverdueSessions } from '../server/modules/live-sessions/live-sessions.service.js';
import { buildClassroom, scheduleSession, openWithCode } from './support/classroom.js';
import { buildUser, loginAs } from './support/factories.js';
import { describeEachDialect, testConfig } from './support/test-app.js';

const tokenOf = (url: string) => new URL(url).searchParams.get('t')!;

describeEachDialect(
  'check-in',
  (ctx, dialect) => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('checks a student in with the typed code, once', async () => {
      const room = await buildClassroom(ctx(), 2);
      const sessionId = await scheduleSession(ctx(), room);
      const { code, url, expiresAt } = await openWithCode(ctx(), room, sessionId);
      expect(code).toMatch(/^[34679ACDEFGHJKMNPQRTUVWXY]{6}$/);
      expect(url).toBe(`http://rollbook.test/c/${sessionId}?t=${tokenOf(url)}`);
      expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);

      const first = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: code.toLowerCase() } });
      expect(first.statusCode, first.body).toBe(201);
      const { record } = first.json();
      expect(record).toMatchObject({ sessionId, studentId: room.students[0].id, status: 'present', state: 'confirmed', method: 'code', flags: [], version: 1 });
      expect(first.headers['set-cookie']).toEqual(expect.stringContaining('rb_bid='));

      const again = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code } });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ alreadyCheckedIn: true, record: { id: record.id } });

      const audit = await ctx().db.selectFrom('audit_events').selectAll().where('entity_id', '=', record.id).execute();
      expect(audit.map((a) => a.action)).toEqual(['record.checked_in']);
    });

    it('checks in with the QR token as method qr', async () => {
      const room = await buildClassroom(ctx(), 1);
      const sessionId = await scheduleSession(ctx(), room);
      const { url } = await openWithCode(ctx(), room, sessionId);
      const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: tokenOf(url), sessionId } });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().record.method).toBe('qr');
      expect(res.json().session).toMatchObject({ id: sessionId, courseCode: room.courseCode });
    });

    it('refuses a wrong code, a student not enrolled, a session not open', async () => {
      const room = await buildClassroom(ctx(), 1);
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId);
      const wrong = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: code === 'AAAAAA' ? 'CCCCCC' : 'AAAAAA' } });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json().code).toBe('invalid_code');
      expect(wrong.headers['content-type']).toContain('application/problem+json');

      const stranger = await buildUser(ctx().db, { role: 'student' });
      const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: await loginAs(ctx(), stranger), payload: { code } });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('not_enrolled');

      // A future session that was never opened: no code, and check-in into it is refused.
      const future = await scheduleSession(ctx(), room, 24 * 60);
      const noCode = await ctx().request({ method: 'GET', url: `/api/sessions/${future}/code`, token: room.teacherToken });
      expect(noCode.statusCode).toBe(409);
      const intoFuture = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code, sessionId: future } });
      expect(intoFuture.statusCode).toBe(409);
      expect(intoFuture.json().code).toBe('session_not_open');

      // After close, the same code says the session is closed.
      const close = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
      expect(close.statusCode).toBe(200);
      const late = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code } });
      expect(late.statusCode).toBe(409);
      expect(late.json().code).toBe('session_not_open');
    });

    it('applies the geofence (reject and flag) and allowed networks', async () => {
      const room = await buildClassroom(ctx(), 3);
      const fence = { lat: 51.5, lng: -0.12, radiusM: 100 };
      const far = { lat: 51.6, lng: -0.12, accuracyM: 10 };
      const near = { lat: 51.5003, lng: -0.12, accuracyM: 10 };

      const s1 = await scheduleSession(ctx(), room);
      const c1 = await openWithCode(ctx(), room, s1, { geofence: { ...fence, mode: 'reject' } });
      const out = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: c1.code, location: far } });
      expect(out.statusCode).toBe(403);
      expect(out.json().code).toBe('outside_geofence');
      const missing = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: c1.code } });
      expect(missing.json().code).toBe('outside_geofence');
      const inside = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: c1.code, location: near } });
      expect(inside.statusCode).toBe(201);

      const s2 = await scheduleSession(ctx(), room);
      const c2 = await openWithCode(ctx(), room, s2, { geofence: { ...fence, mode: 'flag' } });
      const flagged = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[1].token, payload: { code: c2.code, sessionId: s2, location: far } });
      expect(flagged.statusCode).toBe(201);
      expect(flagged.json().record.flags).toEqual(['outside-geofence']);

      const s3 = await scheduleSession(ctx(), room);
      const c3 = await openWithCode(ctx(), room, s3, { allowedNetworks: ['10.0.0.0/8'] });
      const blocked = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[2].token, payload: { code: c3.code, sessionId: s3 } });
      expect(blocked.statusCode).toBe(403);
      expect(blocked.json().code).toBe('network_not_allowed');
      await ctx().request({ method: 'POST', url: `/api/sessions/${s3}/open`, token: room.teacherToken, payload: { allowedNetworks: ['127.0.0.0/8', '::1'] } });
      const allowed = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[2].token, payload: { code: c3.code, sessionId: s3 } });
      expect(allowed.statusCode, allowed.body).toBe(201);
    });

    it('stops a student deactivated or no longer a student after signing in, whatever the code', async () => {
      const room = await buildClassroom(ctx(), 3);
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId);
      const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
      const [gone, demoted, fine] = room.students;
      // Their access tokens were issued before the change and are still valid.
      await ctx().db.updateTable('users').set({ active: 0 }).where('id', '=', gone.id).execute();
      await ctx().db.updateTable('users').set({ role: 'teacher' }).where('id', '=', demoted.id).execute();
      for (const payload of [{ code }, { code: wrong }, { code, sessionId }]) {
        const a = await ctx().request({ method: 'POST', url: '/api/checkin', token: gone.token, payload });
        expect(a.statusCode, a.body).toBe(401);
        const b = await ctx().request({ method: 'POST', url: '/api/checkin', token: demoted.token, payload });
        expect(b.statusCode, b.body).toBe(403);
        expect(b.json().code).toBe('forbidden');
      }
      expect((await ctx().request({ method: 'POST', url: '/api/checkin', token: fine.token, payload: { code } })).statusCode).toBe(201);
      const rows = await ctx().db.selectFrom('attendance_records').select('student_id').where('session_id', '=', sessionId).execute();
      expect(rows.map((r) => r.student_id)).toEqual([fine.id]);
    });

    it('rate-limits code guessing per user', async () => {
      const room = await buildClassroom(ctx(), 1);
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: 'XXXXXX' } });
        statuses.push(r.statusCode);
      }
      expect(statuses).toEqual([403, 403, 403, 429]);
      const blocked = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code } });
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json().code).toBe('too_many_attempts');
    });

    it('rotates: the previous step is accepted, two steps ago is not', async () => {
      const room = await buildClassroom(ctx(), 2);
      const sessionId = await scheduleSession(ctx(), room);
      const start = Date.now();
      const { code, rotateSeconds, url } = await openWithCode(ctx(), room, sessionId, { codeRotateSeconds: 30 });
      expect(rotateSeconds).toBe(30);
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(start + 35_000);
      const next = (await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/code`, token: room.teacherToken })).json();
      expect(next.code).not.toBe(code);
      const prev = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code } });
      expect(prev.statusCode, prev.body).toBe(201);
      vi.setSystemTime(start + 65_000);
      const old = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[1].token, payload: { code: tokenOf(url), sessionId } });
      expect(old.statusCode).toBe(403);
      expect(old.json().code).toBe('invalid_code');
    });

    it('marks a check-in after lateAfterMinutes as late', async () => {
      const room = await buildClassroom(ctx(), 2);
      const sessionId = await scheduleSession(ctx(), room);
      const start = Date.now();
      const { code } = await openWithCode(ctx(), room, sessionId, { lateAfterMinutes: 5, codeTtlSeconds: 3600 });
      const onTime = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code } });
      expect(onTime.json().record.status).toBe('present');
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(start + 6 * 60_000);
      const late = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[1].token, payload: { code } });
      expect(late.statusCode, late.body).toBe(201);
      expect(late.json().record.status).toBe('late');
    });

    it('holds check-ins for approval, confirms one and all, and notifies the student', async () => {
      const room = await buildClassroom(ctx(), 3);
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId, { requireApproval: true });
      for (const s of room.students) {
        const r = await ctx().request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code } });
        expect(r.json().record.state).toBe('pending');
      }
      let summary = (await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/summary`, token: room.teacherToken })).json();
      expect(summary).toEqual({ enrolled: 3, present: 0, late: 0, absent: 0, excused: 0, pending: 3, unmarked: 0 });

      const one = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/records/${room.students[0].id}/confirm`, token: room.teacherToken });
      expect(one.statusCode, one.body).toBe(200);
      expect(one.json().record).toMatchObject({ state: 'confirmed', version: 2, updatedBy: room.teacher.id });
      const all = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/records/confirm-all`, token: room.teacherToken });
      expect(all.json().items).toHaveLength(2);
      summary = (await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/summary`, token: room.teacherToken })).json();
      expect(summary).toMatchObject({ present: 3, pending: 0 });

      const notes = await ctx().request({ method: 'GET', url: '/api/notifications', token: room.students[0].token });
      expect(notes.json().items.map((n: { kind: string }) => n.kind)).toContain('checkin_confirmed');
      const stranger = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/records/${room.students[0].id}/confirm`, token: room.students[1].token });
      expect(stranger.statusCode).toBe(403);
    });

    it('absorbs 20 parallel check-ins of one student into one record', async () => {
      const room = await buildClassroom(ctx(), 1);
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code } })),
      );
      const statuses = results.map((r) => r.statusCode).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 200)).toHaveLength(19);
      const rows = await ctx().db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).execute();
      expect(rows).toHaveLength(1);
      expect(new Set(results.map((r) => r.json().record.id)).size).toBe(1);
    });

    it('flags two students checked in from one browser as shared-device', async () => {
      const room = await buildClassroom(ctx(), 2);
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId);
      const first = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code } });
      const bid = /rb_bid=([^;]+)/.exec(String(first.headers['set-cookie']))![1];
      const second = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[1].token, payload: { code }, cookies: { rb_bid: bid } });
      expect(second.json().record.flags).toEqual(['shared-device']);
      const records = (await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/records`, token: room.teacherToken })).json();
      expect(records.items.map((r: { flags: string[] }) => r.flags)).toEqual([['shared-device'], ['shared-device']]);
    });

    it('checks in by link without an account, with and without self-enrolment', async () => {
      const room = await buildClassroom(ctx(), 2, { loginStudents: 0 });
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId);
      // Off by default: the projected code plus someone's student number must not record them.
      const byDefault = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/public` });
      expect(byDefault.json()).toMatchObject({ state: 'open', linkCheckin: false });
      const impersonation = await ctx().request({
        method: 'POST',
        url: `/api/sessions/${sessionId}/checkin/link`,
        payload: { code, studentNumber: room.students[0].studentNumber, name: 'Someone Else' },
      });
      expect(impersonation.statusCode, impersonation.body).toBe(403);
      await ctx().request({
        method: 'POST',
        url: `/api/sessions/${sessionId}/open`,
        token: room.teacherToken,
        payload: { methods: ['code', 'qr', 'link', 'rollcall', 'device'] },
      });
      const pub = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/public` });
      expect(pub.json()).toMatchObject({ state: 'open', linkCheckin: true, selfEnroll: false, courseCode: room.courseCode });

      const known = await ctx().request({
        method: 'POST',
        url: `/api/sessions/${sessionId}/checkin/link`,
        payload: { code, studentNumber: room.students[0].studentNumber, name: 'Someone Else' },
      });
      expect(known.statusCode, known.body).toBe(201);
      expect(known.json().record).toMatchObject({ method: 'link', studentId: room.students[0].id, flags: ['name-mismatch'] });

      const unknown = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/checkin/link`, payload: { code, studentNumber: 'NEW-001', name: 'New Student' } });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().code).toBe('unknown_student');

      const outsider = await buildUser(ctx().db, { role: 'student' });
      const notEnrolled = await ctx().request({
        method: 'POST',
        url: `/api/sessions/${sessionId}/checkin/link`,
        payload: { code, studentNumber: outsider.studentNumber, name: 'x' },
      });
      expect(notEnrolled.json().code).toBe('not_enrolled');

      await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/open`, token: room.teacherToken, payload: { allowSelfEnroll: true } });
      const created = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/checkin/link`, payload: { code, studentNumber: 'NEW-001', name: 'New Student' } });
      expect(created.statusCode, created.body).toBe(201);
      const newUser = await ctx().db.selectFrom('users').selectAll().where('student_number', '=', 'NEW-001').executeTakeFirstOrThrow();
      expect(newUser).toMatchObject({ role: 'student', name: 'New Student' });
      const enrolled = await ctx().db.selectFrom('enrollments').selectAll().where('student_id', '=', newUser.id).execute();
      expect(enrolled).toEqual([expect.objectContaining({ course_id: room.courseId, method: 'link' })]);

      const wrongCode = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/checkin/link`, payload: { code: 'AAAAAA', studentNumber: 'NEW-001', name: 'New Student' } });
      expect(wrongCode.json().code).toBe(code === 'AAAAAA' ? undefined : 'invalid_code');

      await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/open`, token: room.teacherToken, payload: { methods: ['code', 'qr'] } });
      const noLink = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/checkin/link`, payload: { code, studentNumber: room.students[1].studentNumber, name: 'x' } });
      expect(noLink.statusCode).toBe(403);
    });

    it('closes: unmarked students become absent, with audit events', async () => {
      const room = await buildClassroom(ctx(), 4);
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId);
      await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code } });
      const close = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
      expect(close.statusCode, close.body).toBe(200);
      expect(close.json().session.state).toBe('closed');
      expect(close.json().summary).toEqual({ enrolled: 4, present: 1, late: 0, absent: 3, excused: 0, pending: 0, unmarked: 0 });
      const rows = await ctx().db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).where('method', '=', 'auto').execute();
      expect(rows).toHaveLength(3);
      const audits = await ctx().db.selectFrom('audit_events').select('action').where('session_id', '=', sessionId).execute();
      expect(audits.filter((a) => a.action === 'record.auto_absent')).toHaveLength(3);
      expect(audits.filter((a) => a.action === 'session.closed')).toHaveLength(1);
      const twice = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
      expect(twice.statusCode).toBe(409);
      expect(twice.json().code).toBe('invalid_state');
      const reopen = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/open`, token: room.teacherToken });
      expect(reopen.statusCode).toBe(409);
    });

    it('auto-closes an overdue session exactly once when two nodes run the job at once', async () => {
      const room = await buildClassroom(ctx(), 3, { loginStudents: 0 });
      const sessionId = await scheduleSession(ctx(), room, -200, 90);
      await openWithCode(ctx(), room, sessionId);
      if (dialect === 'postgres') {
        // A second app instance on the same database stands in for the second node.
        const handle = ctx().database.open();
        const second = await buildApp(testConfig(ctx().database), { database: handle });
        try {
          const [a, b] = await Promise.all([closeOverdueSessions(ctx().app), closeOverdueSessions(second)]);
          expect(a + b).toBe(1);
        } finally {
          await second.close();
          await handle.db.destroy();
        }
      } else {
        // SQLite is single-node: two interleaved runs of the job still race on the claim.
        const [a, b] = await Promise.all([closeOverdueSessions(ctx().app), closeOverdueSessions(ctx().app)]);
        expect(a + b).toBe(1);
      }
      const audits = await ctx().db.selectFrom('audit_events').select('action').where('session_id', '=', sessionId).where('action', '=', 'session.closed').execute();
      expect(audits).toHaveLength(1);
      const rows = await ctx().db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).execute();
      expect(rows).toHaveLength(3);
    });

    describe('permissions', () => {
      it('lets only the course staff open, read codes and close', async () => {
        const room = await buildClassroom(ctx(), 1);
        const sessionId = await scheduleSession(ctx(), room);
        const other = await buildUser(ctx().db, { role: 'teacher' });
        const otherToken = await loginAs(ctx(), other);
        for (const [method, path] of [
          ['POST', 'open'],
          ['GET', 'code'],
          ['GET', 'qr.svg'],
          ['GET', 'records'],
          ['GET', 'summary'],
          ['POST', 'close'],
        ] as const) {
          const anon = await ctx().request({ method, url: `/api/sessions/${sessionId}/${path}` });
          expect(anon.statusCode, `${path} anonymous`).toBe(401);
          const student = await ctx().request({ method, url: `/api/sessions/${sessionId}/${path}`, token: room.students[0].token });
          expect(student.statusCode, `${path} student`).toBe(403);
          const stranger = await ctx().request({ method, url: `/api/sessions/${sessionId}/${path}`, token: otherToken });
          expect(stranger.statusCode, `${path} other teacher`).toBe(403);
        }
        const teacherCheckin = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.teacherToken, payload: { code: 'AAAAAA' } });
        expect(teacherCheckin.statusCode).toBe(403);
      });

      it('serves the QR as SVG and PNG', async () => {
        const room = await buildClassroom(ctx(), 0);
        const sessionId = await scheduleSession(ctx(), room);
        await openWithCode(ctx(), room, sessionId);
        const svg = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/qr.svg`, token: room.teacherToken });
        expect(svg.headers['content-type']).toContain('image/svg+xml');
        expect(svg.body).toContain('<svg');
        const png = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/qr.png`, token: room.teacherToken });
        expect(png.headers['content-type']).toBe('image/png');
        expect(png.rawPayload.subarray(1, 4).toString()).toBe('PNG');
      });
    });
  },
  { CHECKIN_MAX_FAILURES_PER_USER: '3' },
);

describeEachDialect("the student's session list", (ctx) => {
  it('shows their own record next to each session', async () => {
    const room = await buildClassroom(ctx(), 2);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code } });
    const today = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const mine = (await ctx().request({ method: 'GET', url: `/api/me/sessions?from=${today}`, token: room.students[0].token })).json();
    const entry = mine.items.find((s: { id: string }) => s.id === sessionId);
    expect(entry.record).toMatchObject({ studentId: room.students[0].id, status: 'present', method: 'code' });
    const other = (await ctx().request({ method: 'GET', url: `/api/me/sessions?from=${today}`, token: room.students[1].token })).json();
    expect(other.items.find((s: { id: string }) => s.id === sessionId).record).toBeNull();
  });
});

describeEachDialect('opening a session', (ctx) => {
  it('opens from an hour before the start, never a future class', async () => {
    const room = await buildClassroom(ctx(), 0);
    const tomorrow = await scheduleSession(ctx(), room, 24 * 60);
    const early = await ctx().request({ method: 'POST', url: `/api/sessions/${tomorrow}/open`, token: room.teacherToken });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: 'invalid_state' });
    expect(early.json().detail).toContain('60 minutes before');
    // Times people can read (in TIMEZONE), not raw ISO timestamps.
    expect(early.json().detail).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    expect(early.json().detail).toMatch(/\d{2}:\d{2} \(UTC\)/);
    const soon = await scheduleSession(ctx(), room, 45);
    const ok = await ctx().request({ method: 'POST', url: `/api/sessions/${soon}/open`, token: room.teacherToken });
    expect(ok.statusCode, ok.body).toBe(200);
  });
});
