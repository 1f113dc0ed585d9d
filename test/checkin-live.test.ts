import { beforeAll, expect, it } from 'vitest';
import { buildClassroom, scheduleSession, openWithCode } from './support/classroom.js';
import { describeEachDialect } from './support/test-app.js';
import { openAuthedSocket, wsUrlOf } from './support/ws-client.js';

describeEachDialect('check-in, live', (ctx) => {
  beforeAll(async () => {
    await ctx().app.listen({ port: 0, host: '127.0.0.1' });
  });

  it("streams each check-in and the summary to the teacher's socket", async () => {
    const room = await buildClassroom(ctx(), 3);
    const sessionId = await scheduleSession(ctx(), room);
    const teacher = await openAuthedSocket(wsUrlOf(ctx().app), room.teacherToken);
    const student = await openAuthedSocket(wsUrlOf(ctx().app), room.students[0].token!);
    try {
      await teacher.subscribe(`session:${sessionId}`);
      const denied = await student.request('SUBSCRIBE', { topic: `session:${sessionId}` });
      expect(denied).toMatchObject({ event: 'ERROR', data: { code: 'forbidden' } });

      const opened = teacher.nextEvent('SESSION_OPENED');
      const { code } = await openWithCode(ctx(), room, sessionId);
      expect((await opened).data).toMatchObject({ session: { id: sessionId, state: 'open' } });

      for (const s of room.students.slice(0, 2)) {
        const checkin = teacher.next((m) => m.event === 'CHECKIN' && (m.data as { record: { studentId: string } }).record.studentId === s.id, `CHECKIN of ${s.id}`);
        const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code } });
        expect(res.statusCode).toBe(201);
        expect((await checkin).data).toMatchObject({ record: { status: 'present', method: 'code' }, student: { id: s.id, studentNumber: s.studentNumber } });
      }
      const summary = await teacher.next(
        (m) => m.event === 'SUMMARY' && (m.data as { summary: { present: number } }).summary.present === 2,
        'SUMMARY with 2 present',
      );
      expect(summary.data).toMatchObject({ sessionId, summary: { enrolled: 3, present: 2, unmarked: 1 } });

      const closed = teacher.nextEvent('SESSION_CLOSED');
      await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
      expect((await closed).data).toMatchObject({ session: { state: 'closed' } });
    } finally {
      teacher.close();
      student.close();
    }
  });
});

describeEachDialect('code rotation, live', (ctx) => {
  beforeAll(async () => {
    await ctx().app.listen({ port: 0, host: '127.0.0.1' });
  });

  it('announces CODE_ROTATED to the staff once per step, even with two job runs', async () => {
    const { announceRotatedCodes } = await import('../server/jobs/code-rotation.job.js');
    const room = await buildClassroom(ctx(), 0);
    const sessionId = await scheduleSession(ctx(), room);
    const first = await openWithCode(ctx(), room, sessionId, { codeRotateSeconds: 15 });
    const teacher = await openAuthedSocket(wsUrlOf(ctx().app), room.teacherToken);
    try {
      await teacher.subscribe(`session:${sessionId}`);
      const opened = Date.parse(first.expiresAt) - 15_000;
      await announceRotatedCodes(ctx().app, opened + 1000);
      const rotated = teacher.nextEvent('CODE_ROTATED');
      ctx().app.openSessions.invalidate();
      const counts = await Promise.all([announceRotatedCodes(ctx().app, opened + 16_000), announceRotatedCodes(ctx().app, opened + 16_000)]);
      expect(counts[0] + counts[1]).toBe(1);
      const msg = (await rotated).data as { sessionId: string; code: string; url: string; expiresAt: string };
      expect(msg.sessionId).toBe(sessionId);
      expect(msg.code).not.toBe(first.code);
      expect(Date.parse(msg.expiresAt)).toBe(opened + 30_000);
      expect(msg.url).toContain(`/c/${sessionId}?t=`);
    } finally {
      teacher.close();
    }
  });
});

describeEachDialect('metrics', (ctx) => {
  it('exposes Prometheus metrics with check-ins counted by method', async () => {
    const room = await buildClassroom(ctx(), 1);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code } });
    const res = await ctx().request({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('rollbook_checkins_total{method="code"} 1');
    expect(res.body).toMatch(/rollbook_http_requests_total\{method="POST",route="\/api\/checkin",status="2xx"\} 1/);
    expect(res.body).toContain('rollbook_websockets');
    // The group commit's figures: one check-in, one transaction that held it.
    expect(res.body).toMatch(/^rollbook_commit_group_transactions_total 1$/m);
    expect(res.body).toMatch(/^rollbook_commit_group_units_total 1$/m);
    // Twelve at once: twelve more check-ins, in at most twelve transactions.
    const more = await buildClassroom(ctx(), 12);
    const other = await scheduleSession(ctx(), more);
    const opened = await openWithCode(ctx(), more, other);
    const answers = await Promise.all(more.students.map((s) => ctx().request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code: opened.code } })));
    expect(answers.map((a) => a.statusCode)).toEqual(more.students.map(() => 201));
    const after = (await ctx().request({ method: 'GET', url: '/metrics' })).body;
    const figure = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(after)?.[1]);
    expect(figure('rollbook_commit_group_units_total')).toBe(13);
    expect(figure('rollbook_commit_group_transactions_total')).toBeGreaterThanOrEqual(2);
    expect(figure('rollbook_commit_group_transactions_total')).toBeLessThanOrEqual(13);
  });
});
