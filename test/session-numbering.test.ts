import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrationProvider } from '../server/db/migrations.js';
import { migrateToLatest } from '../server/db/kysely.js';
import { buildClassroom, openWithCode, scheduleSession, type Classroom } from './support/classroom.js';
import { createTestDatabase } from './support/test-database.js';
import { describeEachDialect } from './support/test-app.js';
import { openAuthedSocket, wsUrlOf, type TestSocket } from './support/ws-client.js';

type Session = { id: string; kind: string; number: number | null; state: string; startsAt: string };

const day = (n: number, hour = 9) => new Date(Date.UTC(2031, 0, 5 + n, hour)).toISOString();
const plusHour = (iso: string) => new Date(Date.parse(iso) + 3600_000).toISOString();

describeEachDialect('session kinds and numbering', (ctx) => {
  let room: Classroom;

  beforeAll(async () => {
    room = await buildClassroom(ctx(), 1);
  });

  const create = async (startsAt: string, kind?: string, token = room.teacherToken) => {
    const res = await ctx().request({
      method: 'POST',
      url: `/api/courses/${room.courseId}/sessions`,
      token,
      payload: { startsAt, endsAt: plusHour(startsAt), ...(kind ? { kind } : {}) },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as Session;
  };
  const get = async (id: string) => (await ctx().request({ method: 'GET', url: `/api/sessions/${id}`, token: room.teacherToken })).json() as Session;
  /** Marks a session held the way opening does, without waiting for its start time. */
  const hold = (id: string) => ctx().db.updateTable('sessions').set({ state: 'closed', opened_at: day(-10), closed_at: day(-10) }).where('id', '=', id).execute();
  const numbersByKind = async () => {
    const items = (await ctx().request({ method: 'GET', url: `/api/sessions?courseId=${room.courseId}&limit=100`, token: room.teacherToken })).json()
      .items as Session[];
    return items.map((s) => `${s.kind}:${s.number ?? '-'}`);
  };

  it('numbers each kind on its own in start order; the default kind is lecture', async () => {
    const l1 = await create(day(0));
    const lab1 = await create(day(1), 'lab');
    const l2 = await create(day(2), 'lecture');
    const lab2 = await create(day(3), 'lab');
    expect([l1, lab1, l2, lab2].map((s) => [s.kind, s.number])).toEqual([
      ['lecture', 1],
      ['lab', 1],
      ['lecture', 2],
      ['lab', 2],
    ]);
    const bad = await ctx().request({
      method: 'POST',
      url: `/api/courses/${room.courseId}/sessions`,
      token: room.teacherToken,
      payload: { startsAt: day(4), endsAt: plusHour(day(4)), kind: 'seminar' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('validation_failed');
  });

  it('an earlier session added after one is held renumbers only the sessions not held yet', async () => {
    // Lectures 1 and 2 from the first test; lecture 1 is held.
    const before = await numbersByKind();
    const lectures = (await ctx().request({ method: 'GET', url: `/api/sessions?courseId=${room.courseId}`, token: room.teacherToken })).json()
      .items.filter((s: Session) => s.kind === 'lecture') as Session[];
    expect(lectures.map((s) => s.number)).toEqual([1, 2]);
    await hold(lectures[0].id);

    // A lecture before the held one: lecture 1 keeps its number, the new one takes the next free one.
    const earliest = await create(day(-1));
    expect(earliest.number).toBe(2);
    expect((await get(lectures[0].id)).number).toBe(1);
    expect((await get(lectures[1].id)).number).toBe(3);

    // One between the held and the scheduled lecture: only the scheduled one moves.
    const between = await create(day(0, 15));
    expect(between.number).toBe(3);
    expect((await get(lectures[1].id)).number).toBe(4);
    expect((await get(lectures[0].id)).number).toBe(1);
    // Labs were not touched by any of it.
    expect((await numbersByKind()).filter((k) => k.startsWith('lab'))).toEqual(before.filter((k) => k.startsWith('lab')));

    // Moving a scheduled lecture before the held one renumbers the scheduled ones around it, never lecture 1.
    const moved = await ctx().request({
      method: 'PATCH',
      url: `/api/sessions/${lectures[1].id}`,
      token: room.teacherToken,
      payload: { startsAt: day(-2), endsAt: plusHour(day(-2)) },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().number).toBe(2);
    expect((await get(lectures[0].id)).number).toBe(1);
    expect((await get(earliest.id)).number).toBe(3);
    expect((await get(between.id)).number).toBe(4);
  });

  it('a cancelled session has no number and later ones not yet held move up; changing the kind renumbers both kinds', async () => {
    const r = await buildClassroom(ctx(), 0);
    const mk = async (n: number, kind = 'lecture') => {
      const res = await ctx().request({
        method: 'POST',
        url: `/api/courses/${r.courseId}/sessions`,
        token: r.teacherToken,
        payload: { startsAt: day(n), endsAt: plusHour(day(n)), kind },
      });
      return res.json() as Session;
    };
    const a = await mk(0);
    const b = await mk(1);
    const c = await mk(2);
    const t1 = await mk(3, 'tutorial');
    const cancelled = await ctx().request({ method: 'POST', url: `/api/sessions/${b.id}/cancel`, token: r.teacherToken, payload: { reason: 'Strike' } });
    expect(cancelled.json()).toMatchObject({ state: 'cancelled', number: null });
    const one = async (id: string) => (await ctx().request({ method: 'GET', url: `/api/sessions/${id}`, token: r.teacherToken })).json() as Session;
    expect([(await one(a.id)).number, (await one(c.id)).number]).toEqual([1, 2]);

    const toTutorial = await ctx().request({ method: 'PATCH', url: `/api/sessions/${a.id}`, token: r.teacherToken, payload: { kind: 'tutorial' } });
    expect(toTutorial.json()).toMatchObject({ kind: 'tutorial', number: 1 });
    expect((await one(t1.id)).number).toBe(2);
    expect((await one(c.id)).number).toBe(1);
  });

  it('the bulk preview and bulk creation number a kind the same way', async () => {
    const r = await buildClassroom(ctx(), 0);
    const single = await ctx().request({
      method: 'POST',
      url: `/api/courses/${r.courseId}/sessions`,
      token: r.teacherToken,
      payload: { startsAt: '2031-03-04T09:00:00.000Z', endsAt: '2031-03-04T10:00:00.000Z', kind: 'lab' },
    });
    await ctx().db.updateTable('sessions').set({ state: 'closed', opened_at: day(-10) }).where('id', '=', single.json().id).execute();
    const body = { kind: 'lab', from: '2031-03-03', until: '2031-03-14', weekdays: [1, 3], startTime: '14:00', endTime: '15:00' };
    const preview = await ctx().request({ method: 'POST', url: `/api/courses/${r.courseId}/sessions/bulk/preview`, token: r.teacherToken, payload: body });
    expect(preview.statusCode, preview.body).toBe(200);
    const made = await ctx().request({ method: 'POST', url: `/api/courses/${r.courseId}/sessions/bulk`, token: r.teacherToken, payload: body });
    expect(made.statusCode, made.body).toBe(201);
    // 3 March lab comes before the held lab of 4 March, which keeps number 1.
    expect(made.json().items.map((s: Session) => s.number)).toEqual([2, 3, 4, 5]);
    expect(preview.json().items.map((s: { number: number }) => s.number)).toEqual([2, 3, 4, 5]);
    expect(made.json().items.every((s: Session) => s.kind === 'lab')).toBe(true);
  });
});

describeEachDialect('reopening a session and session changes', (ctx) => {
  let url: string;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    await ctx().app.listen({ port: 0, host: '127.0.0.1' });
    url = wsUrlOf(ctx().app);
  });
  afterAll(() => sockets.forEach((s) => s.close()));
  const socketOf = async (token: string) => {
    const s = await openAuthedSocket(url, token);
    sockets.push(s);
    return s;
  };

  it('reopens a closed session: audited, SESSION_OPENED to staff and students, a fresh code; 409 unless closed, 403 for others', async () => {
    const room = await buildClassroom(ctx(), 2);
    const outsider = await buildClassroom(ctx(), 0);
    const [onTime, lateOne] = room.students;
    // Late counts from the opening: with lateAfterMinutes 0 every check-in after it is late.
    const id = await scheduleSession(ctx(), room, -30);

    const early = await ctx().request({ method: 'POST', url: `/api/sessions/${id}/reopen`, token: room.teacherToken });
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('invalid_state');

    const first = await openWithCode(ctx(), room, id, { lateAfterMinutes: 0 });
    const checkin = await ctx().request({ method: 'POST', url: '/api/checkin', token: onTime.token, payload: { code: first.code } });
    expect(checkin.statusCode, checkin.body).toBe(201);
    const openAgain = await ctx().request({ method: 'POST', url: `/api/sessions/${id}/reopen`, token: room.teacherToken });
    expect(openAgain.statusCode).toBe(409);

    const closed = await ctx().request({ method: 'POST', url: `/api/sessions/${id}/close`, token: room.teacherToken });
    expect(closed.json().summary).toMatchObject({ late: 1, absent: 1 });

    const studentSocket = await socketOf(lateOne.token!);
    await studentSocket.subscribe(`user:${lateOne.id}`);
    const staffSocket = await socketOf(room.teacherToken);
    await staffSocket.subscribe(`session:${id}`);

    for (const token of [lateOne.token!, outsider.teacherToken]) {
      const denied = await ctx().request({ method: 'POST', url: `/api/sessions/${id}/reopen`, token });
      expect(denied.statusCode).toBe(403);
    }
    const reopened = await ctx().request({ method: 'POST', url: `/api/sessions/${id}/reopen`, token: room.teacherToken });
    expect(reopened.statusCode, reopened.body).toBe(200);
    expect(reopened.json()).toMatchObject({ id, state: 'open', closedAt: null, number: 1 });

    const mine = await studentSocket.nextEvent('SESSION_OPENED');
    expect(mine.topic).toBe(`user:${lateOne.id}`);
    expect(mine.data.session).toMatchObject({ id, state: 'open' });
    expect((await staffSocket.nextEvent('SESSION_OPENED')).data.session.state).toBe('open');

    const audit = await ctx().db.selectFrom('audit_events').select(['action', 'actor_id']).where('session_id', '=', id).where('action', '=', 'session.reopened').execute();
    expect(audit).toEqual([{ action: 'session.reopened', actor_id: room.teacher.id }]);
    const outbox = await ctx().db.selectFrom('outbox_events').select(['type', 'payload']).where('order_key', '=', id).where('type', '=', 'session.opened').execute();
    expect(outbox.some((e) => JSON.parse(e.payload).reopened === true)).toBe(true);

    // The close's absence stays until the student checks in; the old code is dead, the new one works.
    const records = (await ctx().request({ method: 'GET', url: `/api/sessions/${id}/records`, token: room.teacherToken })).json();
    expect(records.items.find((r: { studentId: string }) => r.studentId === lateOne.id)).toMatchObject({ status: 'absent', method: 'auto' });
    const code = (await ctx().request({ method: 'GET', url: `/api/sessions/${id}/code`, token: room.teacherToken })).json();
    expect(code.code).not.toBe(first.code);
    const late = await ctx().request({ method: 'POST', url: '/api/checkin', token: lateOne.token, payload: { code: code.code } });
    // The close's `auto` absence gives way to the late arrival (the record writer's rule), audited.
    expect([200, 201]).toContain(late.statusCode);
    expect(late.json().record).toMatchObject({ studentId: lateOne.id, status: 'late', method: 'code' });
  });

  it('a new time or room notifies the enrolled students and sends SESSION_UPDATED; a title change notifies nobody', async () => {
    const room = await buildClassroom(ctx(), 1);
    const [student] = room.students;
    const id = await scheduleSession(ctx(), room, 24 * 60);
    const s = await socketOf(student.token!);
    await s.subscribe(`user:${student.id}`);

    const titled = await ctx().request({ method: 'PATCH', url: `/api/sessions/${id}`, token: room.teacherToken, payload: { title: 'Graphs' } });
    expect(titled.statusCode).toBe(200);
    expect((await s.nextEvent('SESSION_UPDATED')).data.session).toMatchObject({ id, title: 'Graphs' });

    const moved = await ctx().request({ method: 'PATCH', url: `/api/sessions/${id}`, token: room.teacherToken, payload: { venue: 'Hall B' } });
    expect(moved.statusCode).toBe(200);
    const pushed = await s.nextEvent('NOTIFICATION');
    expect(pushed.data.notification).toMatchObject({
      kind: 'session_changed',
      payload: { sessionId: id, venue: 'Hall B', previous: { venue: 'Room 1' }, sessionKind: 'lecture', sessionNumber: 1 },
    });
    expect((await s.nextEvent('SESSION_UPDATED')).data.session.venue).toBe('Hall B');
    const list = (await ctx().request({ method: 'GET', url: '/api/notifications', token: student.token })).json();
    expect(list.items.map((n: { kind: string }) => n.kind)).toEqual(['session_changed']);
  });

  it('refuses a code rotation shorter than 10 s instead of saving another value', async () => {
    const room = await buildClassroom(ctx(), 0);
    const id = await scheduleSession(ctx(), room);
    const five = await ctx().request({ method: 'POST', url: `/api/sessions/${id}/open`, token: room.teacherToken, payload: { codeRotateSeconds: 5 } });
    expect(five.statusCode).toBe(400);
    expect(five.json().errors[0].path).toContain('codeRotateSeconds');
    const ten = await ctx().request({ method: 'POST', url: `/api/sessions/${id}/open`, token: room.teacherToken, payload: { codeRotateSeconds: 10 } });
    expect(ten.json().policy.codeRotateSeconds).toBe(10);
  });
});

describeEachDialect('migration 0009', (_ctx, dialect) => {
  it('assigns kinds from titles, keeps held numbers, renumbers the rest per kind and clears cancelled numbers', async () => {
    const database = await createTestDatabase(dialect);
    const { db } = database.open();
    try {
      const migrator = new Migrator({ db, provider: migrationProvider });
      const upTo = await migrator.migrateTo('0005_create_devices');
      expect(upTo.error).toBeUndefined();
      const now = '2030-01-01T00:00:00.000Z';
      await sql`insert into courses (id, code, name, threshold_percent, late_after_minutes, created_at, updated_at) values ('c1', 'M-1', 'Migrated', 75, 10, ${now}, ${now})`.execute(db);
      const rows: [string, number, string | null, string, string | null][] = [
        ['s1', 1, null, 'closed', '2030-01-01T09:00:00.000Z'],
        ['s2', 2, 'Lab: circuits', 'closed', '2030-01-02T09:00:00.000Z'],
        ['s3', 3, null, 'cancelled', null],
        ['s4', 4, 'Lab: filters', 'scheduled', null],
        ['s5', 5, null, 'scheduled', null],
      ];
      for (const [i, [id, number, title, state, openedAt]] of rows.entries()) {
        const start = new Date(Date.UTC(2030, 0, 1 + i, 9)).toISOString();
        await sql`insert into sessions (id, course_id, number, title, starts_at, ends_at, state, opened_at, policy, created_at, updated_at)
          values (${id}, 'c1', ${number}, ${title}, ${start}, ${start}, ${state}, ${openedAt}, '{}', ${now}, ${now})`.execute(db);
      }
      await migrateToLatest(db);
      const after = await sql<{ id: string; kind: string; number: number | null }>`select id, kind, number from sessions order by id`.execute(db);
      expect(after.rows.map((r) => [r.id, r.kind, r.number])).toEqual([
        ['s1', 'lecture', 1],
        ['s2', 'lab', 2], // held: the number students saw stays
        ['s3', 'lecture', null],
        ['s4', 'lab', 3],
        ['s5', 'lecture', 2],
      ]);
    } finally {
      await db.destroy();
      await database.drop();
    }
  });
});
