import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from './support/test-app.js';
import { userWithToken, type BuiltUser } from './support/factories.js';
import { buildCourse, buildSession } from './support/course-factories.js';
import { openAuthedSocket, wsUrlOf, type TestSocket } from './support/ws-client.js';

type Session = { id: string; kind: string; number: number | null; startsAt: string; endsAt: string; state: string; title: string | null; venue: string | null; policy: Record<string, unknown> };

/** Wall-clock time of an instant in London, computed independently of the server. */
function london(iso: string): string {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const p = Object.fromEntries(f.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

const numbersOf = async (ctx: () => { db: import('../server/db/kysely.js').Db }, courseId: string) =>
  (await ctx().db.selectFrom('sessions').select(['id', 'number', 'starts_at']).where('course_id', '=', courseId).orderBy('starts_at').execute()).map((r) => r.number);

describeEachDialect(
  'sessions (TIMEZONE=Europe/London)',
  (ctx) => {
    let teacher: { user: BuiltUser; token: string };
    let admin: { user: BuiltUser; token: string };

    beforeAll(async () => {
      teacher = await userWithToken(ctx(), 'teacher');
      admin = await userWithToken(ctx(), 'admin');
    });

    const spring = {
      from: '2026-03-16',
      until: '2026-04-08',
      weekdays: [1, 3],
      startTime: '09:00',
      endTime: '10:30',
      venue: 'Lecture Theatre 1',
      skipDates: ['2026-04-06'],
    };

    it('creates a weekly pattern across the spring clock change: 09:00 stays 09:00 local, numbered in order, holidays skipped', async () => {
      const course = await buildCourse(ctx().db, { teacherIds: [teacher.user.id], late_after_minutes: 7 });
      const preview = await ctx().request({ method: 'POST', url: `/api/courses/${course.id}/sessions/bulk/preview`, token: teacher.token, payload: spring });
      expect(preview.statusCode).toBe(200);
      expect(preview.json().timezone).toBe('Europe/London');
      expect(preview.json().skipped).toEqual(['2026-04-06']);
      expect(preview.json().items.map((i: { date: string; number: number }) => `${i.number}:${i.date}`)).toEqual([
        '1:2026-03-16',
        '2:2026-03-18',
        '3:2026-03-23',
        '4:2026-03-25',
        '5:2026-03-30',
        '6:2026-04-01',
        '7:2026-04-08',
      ]);
      expect(await numbersOf(ctx, course.id)).toEqual([]);

      const res = await ctx().request({ method: 'POST', url: `/api/courses/${course.id}/sessions/bulk`, token: teacher.token, payload: spring });
      expect(res.statusCode).toBe(201);
      const items: Session[] = res.json().items;
      expect(items.map((s) => s.number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(items.map((s) => london(s.startsAt))).toEqual([
        '2026-03-16 09:00',
        '2026-03-18 09:00',
        '2026-03-23 09:00',
        '2026-03-25 09:00',
        '2026-03-30 09:00',
        '2026-04-01 09:00',
        '2026-04-08 09:00',
      ]);
      expect(items.every((s) => london(s.endsAt).endsWith('10:30'))).toBe(true);
      // Before the change London is on GMT (UTC+0), after it on BST (UTC+1).
      expect(items[3].startsAt).toBe('2026-03-25T09:00:00.000Z');
      expect(items[4].startsAt).toBe('2026-03-30T08:00:00.000Z');
      expect(items[4].endsAt).toBe('2026-03-30T09:30:00.000Z');
      expect(items.map((s) => s.startsAt)).toEqual(preview.json().items.map((i: { startsAt: string }) => i.startsAt));
      expect(items[0]).toMatchObject({
        courseId: course.id,
        state: 'scheduled',
        venue: 'Lecture Theatre 1',
        title: null,
        openedAt: null,
        closedAt: null,
        cancelledReason: null,
        policy: {
          methods: ['code', 'qr', 'rollcall', 'device'],
          codeTtlSeconds: 600,
          codeRotateSeconds: 0,
          lateAfterMinutes: 7,
          requireApproval: false,
          deviceId: null,
          geofence: null,
          allowedNetworks: [],
          allowSelfEnroll: false,
        },
      });
    });

    it('handles the autumn change too, and numbers a second pattern after the sessions already there', async () => {
      const course = await buildCourse(ctx().db, { teacherIds: [teacher.user.id] });
      const first = await ctx().request({
        method: 'POST',
        url: `/api/courses/${course.id}/sessions/bulk`,
        token: admin.token,
        payload: { from: '2026-10-19', until: '2026-10-30', weekdays: [4], startTime: '14:00', endTime: '15:00' },
      });
      expect(first.json().items.map((s: Session) => [s.number, s.startsAt])).toEqual([
        [1, '2026-10-22T13:00:00.000Z'],
        [2, '2026-10-29T14:00:00.000Z'],
      ]);
      const second = await ctx().request({
        method: 'POST',
        url: `/api/courses/${course.id}/sessions/bulk`,
        token: admin.token,
        payload: { from: '2026-10-19', until: '2026-10-30', weekdays: [1], startTime: '09:00', endTime: '10:00', title: 'Lab' },
      });
      // Mondays 19 and 26 October fall before and between the Thursdays: everything renumbers.
      expect(second.json().items.map((s: Session) => [s.number, london(s.startsAt), s.title])).toEqual([
        [1, '2026-10-19 09:00', 'Lab'],
        [3, '2026-10-26 09:00', 'Lab'],
      ]);
      const all = (await ctx().request({ method: 'GET', url: `/api/sessions?courseId=${course.id}`, token: teacher.token })).json().items;
      expect(all.map((s: Session) => [s.number, london(s.startsAt)])).toEqual([
        [1, '2026-10-19 09:00'],
        [2, '2026-10-22 14:00'],
        [3, '2026-10-26 09:00'],
        [4, '2026-10-29 14:00'],
      ]);
      expect(all[0].course).toEqual({ id: course.id, code: course.code, name: course.name });
    });

    it('renumbers when a session is added between, moved, or deleted', async () => {
      const course = await buildCourse(ctx().db, { teacherIds: [teacher.user.id] });
      const made = (
        await ctx().request({
          method: 'POST',
          url: `/api/courses/${course.id}/sessions/bulk`,
          token: teacher.token,
          payload: { from: '2027-01-04', until: '2027-01-15', weekdays: [1, 5], startTime: '10:00', endTime: '11:00' },
        })
      ).json().items as Session[];
      expect(made.map((s) => s.number)).toEqual([1, 2, 3, 4]);

      const inserted = await ctx().request({
        method: 'POST',
        url: `/api/courses/${course.id}/sessions`,
        token: teacher.token,
        payload: { startsAt: '2027-01-06T10:00:00+00:00', endsAt: '2027-01-06T11:00:00Z', title: 'Extra tutorial', venue: 'Room 2' },
      });
      expect(inserted.statusCode).toBe(201);
      expect(inserted.json()).toMatchObject({ number: 2, title: 'Extra tutorial', startsAt: '2027-01-06T10:00:00.000Z' });
      expect(await numbersOf(ctx, course.id)).toEqual([1, 2, 3, 4, 5]);
      const third = await ctx().request({ method: 'GET', url: `/api/sessions/${made[1].id}`, token: teacher.token });
      expect(third.json().number).toBe(3);

      // Move the first session after the last.
      const moved = await ctx().request({
        method: 'PATCH',
        url: `/api/sessions/${made[0].id}`,
        token: teacher.token,
        payload: { startsAt: '2027-01-20T10:00:00Z', endsAt: '2027-01-20T11:00:00Z' },
      });
      expect(moved.statusCode).toBe(200);
      expect(moved.json().number).toBe(5);
      expect((await ctx().request({ method: 'GET', url: `/api/sessions/${inserted.json().id}`, token: teacher.token })).json().number).toBe(1);

      const del = await ctx().request({ method: 'DELETE', url: `/api/sessions/${inserted.json().id}`, token: teacher.token });
      expect(del.statusCode).toBe(204);
      const rows = await ctx().db.selectFrom('sessions').select(['id', 'number']).where('course_id', '=', course.id).orderBy('starts_at').execute();
      expect(rows).toEqual([
        { id: made[1].id, number: 1 },
        { id: made[2].id, number: 2 },
        { id: made[3].id, number: 3 },
        { id: made[0].id, number: 4 },
      ]);
      const audit = await ctx().db.selectFrom('audit_events').select('action').where('session_id', '=', inserted.json().id).orderBy('id').execute();
      expect(audit.map((a) => a.action)).toEqual(['session.created', 'session.deleted']);
    });

    it('edits title, venue and policy of a scheduled session; open, closed and cancelled sessions are 409 invalid_state', async () => {
      const course = await buildCourse(ctx().db, { teacherIds: [teacher.user.id] });
      const s = (await ctx().request({ method: 'POST', url: `/api/courses/${course.id}/sessions`, token: teacher.token, payload: { startsAt: '2027-02-01T09:00:00Z', endsAt: '2027-02-01T10:00:00Z' } })).json();
      const edited = await ctx().request({
        method: 'PATCH',
        url: `/api/sessions/${s.id}`,
        token: teacher.token,
        payload: { title: 'Revision', venue: null, policy: { requireApproval: true, codeRotateSeconds: 30, geofence: { lat: 51.5, lng: -0.12, radiusM: 150, mode: 'flag' }, allowedNetworks: ['10.0.0.0/8'] } },
      });
      expect(edited.statusCode).toBe(200);
      expect(edited.json()).toMatchObject({ title: 'Revision', venue: null, number: 1 });
      expect(edited.json().policy).toMatchObject({ requireApproval: true, codeRotateSeconds: 30, codeTtlSeconds: 600, lateAfterMinutes: 10, allowedNetworks: ['10.0.0.0/8'] });

      const badPolicy = await ctx().request({ method: 'PATCH', url: `/api/sessions/${s.id}`, token: teacher.token, payload: { policy: { methods: ['telepathy'] } } });
      expect(badPolicy.statusCode).toBe(400);
      const badTimes = await ctx().request({ method: 'PATCH', url: `/api/sessions/${s.id}`, token: teacher.token, payload: { endsAt: '2027-02-01T08:00:00Z' } });
      expect(badTimes.statusCode).toBe(400);
      expect(badTimes.json().errors).toEqual([{ path: 'endsAt', message: 'must be after the start' }]);

      for (const state of ['open', 'closed', 'cancelled'] as const) {
        const other = await buildSession(ctx().db, course.id, { state, number: 2 });
        const patch = await ctx().request({ method: 'PATCH', url: `/api/sessions/${other.id}`, token: teacher.token, payload: { title: 'x' } });
        expect(patch.statusCode).toBe(409);
        expect(patch.json().code).toBe('invalid_state');
        const del = await ctx().request({ method: 'DELETE', url: `/api/sessions/${other.id}`, token: admin.token });
        expect(del.statusCode).toBe(409);
        expect(del.json().code).toBe('invalid_state');
      }
    });

    it('rejects bad patterns and times with 400 problems', async () => {
      const course = await buildCourse(ctx().db, { teacherIds: [teacher.user.id] });
      const bulk = (payload: unknown) => ctx().request({ method: 'POST', url: `/api/courses/${course.id}/sessions/bulk`, token: teacher.token, payload: payload as object });
      const base = { from: '2027-03-01', until: '2027-03-31', weekdays: [2], startTime: '09:00', endTime: '10:00' };
      const cases: [unknown, string][] = [
        [{ ...base, until: '2027-02-01' }, 'until'],
        [{ ...base, endTime: '09:00' }, 'endTime'],
        [{ ...base, weekdays: [0] }, 'weekdays.0'],
        [{ ...base, startTime: '9am' }, 'startTime'],
        [{ ...base, from: '2027-02-30' }, 'from'],
        [{ ...base, from: '2027-01-01', until: '2029-01-01' }, 'until'],
        [{ ...base, from: '2027-03-01', until: '2027-03-01', weekdays: [2] }, 'weekdays'],
      ];
      for (const [payload, path] of cases) {
        const res = await bulk(payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(res.json().code).toBe('validation_failed');
        expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
      }
      const long = await ctx().request({ method: 'POST', url: `/api/courses/${course.id}/sessions`, token: teacher.token, payload: { startsAt: '2027-03-01T09:00:00Z', endsAt: '2027-03-03T09:00:00Z' } });
      expect(long.statusCode).toBe(400);
      const noOffset = await ctx().request({ method: 'POST', url: `/api/courses/${course.id}/sessions`, token: teacher.token, payload: { startsAt: 'tomorrow', endsAt: '2027-03-03T09:00:00Z' } });
      expect(noOffset.statusCode).toBe(400);
      expect(await numbersOf(ctx, course.id)).toEqual([]);
    });

    it('lists sessions by range (local dates), state and course; a teacher sees only their courses; pages with a cursor', async () => {
      const t = await userWithToken(ctx(), 'teacher');
      const mine = await buildCourse(ctx().db, { teacherIds: [t.user.id] });
      const theirs = await buildCourse(ctx().db, { teacherIds: [teacher.user.id] });
      // 23:30 UTC on 31 May is 00:30 on 1 June in London.
      const a = await buildSession(ctx().db, mine.id, { starts_at: '2028-05-31T23:30:00.000Z', ends_at: '2028-06-01T00:30:00.000Z' });
      const b = await buildSession(ctx().db, mine.id, { number: 2, starts_at: '2028-06-02T09:00:00.000Z', ends_at: '2028-06-02T10:00:00.000Z', state: 'cancelled' });
      const c = await buildSession(ctx().db, mine.id, { number: 3, starts_at: '2028-06-03T09:00:00.000Z', ends_at: '2028-06-03T10:00:00.000Z' });
      await buildSession(ctx().db, theirs.id, { starts_at: '2028-06-02T09:00:00.000Z', ends_at: '2028-06-02T10:00:00.000Z' });

      const june = (await ctx().request({ method: 'GET', url: '/api/sessions?from=2028-06-01&to=2028-06-30', token: t.token })).json();
      expect(june.items.map((s: Session) => s.id)).toEqual([a.id, b.id, c.id]);
      const firstDay = (await ctx().request({ method: 'GET', url: '/api/sessions?from=2028-06-01&to=2028-06-01', token: t.token })).json();
      expect(firstDay.items.map((s: Session) => s.id)).toEqual([a.id]);
      const cancelled = (await ctx().request({ method: 'GET', url: '/api/sessions?state=cancelled&from=2028-06-01T00:00:00Z', token: t.token })).json();
      expect(cancelled.items.map((s: Session) => s.id)).toEqual([b.id]);
      const asAdmin = (await ctx().request({ method: 'GET', url: '/api/sessions?from=2028-06-02&to=2028-06-02', token: admin.token })).json();
      expect(asAdmin.items).toHaveLength(2);

      const p1 = (await ctx().request({ method: 'GET', url: '/api/sessions?from=2028-06-01&limit=2', token: t.token })).json();
      const p2 = (await ctx().request({ method: 'GET', url: `/api/sessions?from=2028-06-01&limit=2&cursor=${p1.nextCursor}`, token: t.token })).json();
      expect([...p1.items, ...p2.items].map((s: Session) => s.id)).toEqual([a.id, b.id, c.id]);
      expect(p2.nextCursor).toBeNull();

      expect((await ctx().request({ method: 'GET', url: `/api/sessions?courseId=${theirs.id}`, token: t.token })).statusCode).toBe(403);
      expect((await ctx().request({ method: 'GET', url: '/api/sessions?from=2028-06-02&to=2028-06-01', token: t.token })).statusCode).toBe(400);
    });
  },
  { TIMEZONE: 'Europe/London' },
);

describeEachDialect('cancelling a session', (ctx) => {
  let url: string;
  let teacher: { user: BuiltUser; token: string };
  let other: { user: BuiltUser; token: string };
  let admin: { user: BuiltUser; token: string };
  let student: { user: BuiltUser; token: string };
  let outsider: { user: BuiltUser; token: string };
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    await ctx().app.listen({ port: 0, host: '127.0.0.1' });
    url = wsUrlOf(ctx().app);
    teacher = await userWithToken(ctx(), 'teacher');
    other = await userWithToken(ctx(), 'teacher');
    admin = await userWithToken(ctx(), 'admin');
    student = await userWithToken(ctx(), 'student');
    outsider = await userWithToken(ctx(), 'student');
  });
  afterAll(() => sockets.forEach((s) => s.close()));

  const socketOf = async (token: string) => {
    const s = await openAuthedSocket(url, token);
    sockets.push(s);
    return s;
  };

  it('lets only the course staff watch session:<id>', async () => {
    const course = await buildCourse(ctx().db, { teacherIds: [teacher.user.id], studentIds: [student.user.id] });
    const session = await buildSession(ctx().db, course.id);
    const topic = `session:${session.id}`;
    for (const [who, expected] of [
      [teacher.token, 'ACK'],
      [admin.token, 'ACK'],
      [other.token, 'ERROR'],
      [student.token, 'ERROR'],
    ] as const) {
      const s = await socketOf(who);
      const reply = await s.request('SUBSCRIBE', { topic });
      expect(reply.event).toBe(expected);
      if (expected === 'ERROR') expect(reply.data.code).toBe('forbidden');
    }
    const a = await socketOf(admin.token);
    expect((await a.request('SUBSCRIBE', { topic: 'session:no-such-session' })).data.code).toBe('forbidden');
  });

  it("notifies the course's students live with the number they knew it by, tells the session topic, audits; the session loses its number", async () => {
    const course = await buildCourse(ctx().db, { code: 'CAN-101', name: 'Cancellations', teacherIds: [teacher.user.id], studentIds: [student.user.id] });
    await buildSession(ctx().db, course.id, { number: 1, starts_at: '2030-05-01T09:00:00.000Z', ends_at: '2030-05-01T10:00:00.000Z' });
    const session = await buildSession(ctx().db, course.id, { number: 2, title: 'Graphs', starts_at: '2030-05-08T09:00:00.000Z', ends_at: '2030-05-08T10:00:00.000Z' });

    const studentSocket = await socketOf(student.token);
    await studentSocket.subscribe(`user:${student.user.id}`);
    const outsiderSocket = await socketOf(outsider.token);
    await outsiderSocket.subscribe(`user:${outsider.user.id}`);
    const staffSocket = await socketOf(teacher.token);
    await staffSocket.subscribe(`session:${session.id}`);

    const res = await ctx().request({ method: 'POST', url: `/api/sessions/${session.id}/cancel`, token: teacher.token, payload: { reason: 'Teacher ill' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: session.id, state: 'cancelled', cancelledReason: 'Teacher ill', number: null, cancelledAt: expect.any(String) });

    const pushed = await studentSocket.next((m) => m.event === 'NOTIFICATION', 'class_cancelled notification');
    expect(pushed.topic).toBe(`user:${student.user.id}`);
    expect(pushed.data.notification).toMatchObject({
      kind: 'class_cancelled',
      read: false,
      payload: {
        sessionId: session.id,
        courseId: course.id,
        courseCode: 'CAN-101',
        courseName: 'Cancellations',
        sessionKind: 'lecture',
        sessionNumber: 2,
        sessionTitle: 'Graphs',
        startsAt: '2030-05-08T09:00:00.000Z',
        reason: 'Teacher ill',
      },
    });
    const told = await staffSocket.nextEvent('SESSION_CANCELLED');
    expect(told.topic).toBe(`session:${session.id}`);
    expect(told.data.session).toMatchObject({ id: session.id, state: 'cancelled', cancelledReason: 'Teacher ill' });

    const stored = await ctx().request({ method: 'GET', url: '/api/notifications', token: student.token });
    expect(stored.json().items.map((n: { kind: string }) => n.kind)).toEqual(['class_cancelled']);
    const none = await ctx().request({ method: 'GET', url: '/api/notifications', token: outsider.token });
    expect(none.json().items).toEqual([]);
    expect(outsiderSocket.messages.filter((m) => m.event === 'NOTIFICATION')).toEqual([]);

    const audit = await ctx().db.selectFrom('audit_events').selectAll().where('session_id', '=', session.id).where('action', '=', 'session.cancelled').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: teacher.user.id, reason: 'Teacher ill', entity: 'session' });
    expect(JSON.parse(audit[0].before ?? '{}').state).toBe('scheduled');

    // The student's own topic hears of it too, as a session event.
    const mine = await studentSocket.nextEvent('SESSION_CANCELLED');
    expect(mine.topic).toBe(`user:${student.user.id}`);
    expect(outsiderSocket.messages.filter((m) => m.event === 'SESSION_CANCELLED')).toEqual([]);

    // Still listed (as cancelled, in its place, without a number), but never again cancellable, editable or deletable.
    const list = (await ctx().request({ method: 'GET', url: `/api/sessions?courseId=${course.id}`, token: teacher.token })).json().items;
    expect(list.map((s: Session) => [s.number, s.state])).toEqual([
      [1, 'scheduled'],
      [null, 'cancelled'],
    ]);
    for (const req of [
      { method: 'POST' as const, url: `/api/sessions/${session.id}/cancel`, payload: { reason: 'again' } },
      { method: 'PATCH' as const, url: `/api/sessions/${session.id}`, payload: { title: 'x' } },
      { method: 'DELETE' as const, url: `/api/sessions/${session.id}` },
    ]) {
      const again = await ctx().request({ ...req, token: admin.token });
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('invalid_state');
    }
  });

  it('cancels an open session but not a closed one, and needs a reason', async () => {
    const course = await buildCourse(ctx().db, { teacherIds: [teacher.user.id] });
    const open = await buildSession(ctx().db, course.id, { state: 'open', opened_at: new Date().toISOString() });
    const closed = await buildSession(ctx().db, course.id, { state: 'closed', number: 2 });
    const noReason = await ctx().request({ method: 'POST', url: `/api/sessions/${open.id}/cancel`, token: teacher.token, payload: { reason: '  ' } });
    expect(noReason.statusCode).toBe(400);
    const ok = await ctx().request({ method: 'POST', url: `/api/sessions/${open.id}/cancel`, token: admin.token, payload: { reason: 'Fire alarm' } });
    expect(ok.json().state).toBe('cancelled');
    const refused = await ctx().request({ method: 'POST', url: `/api/sessions/${closed.id}/cancel`, token: teacher.token, payload: { reason: 'Too late' } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('invalid_state');
  });
});
