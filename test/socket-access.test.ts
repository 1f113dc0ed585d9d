import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WS_CLOSE } from '../common/realtime.schemas.js';
import { buildApp } from '../server/app.js';
import type { DbHandle } from '../server/db/kysely.js';
import { buildClassroom, openWithCode, scheduleSession, type Classroom } from './support/classroom.js';
import { buildUser, loginAs, userWithToken } from './support/factories.js';
import { REDIS_TEST_URL } from './support/services.js';
import { describeEachDialect, testConfig, type TestContext } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { openAuthedSocket, type TestSocket, wsUrlOf } from './support/ws-client.js';

/** A classroom with an open session and the teacher's socket on its topic. */
async function watchedSession(ctx: TestContext, url: string) {
  const room = await buildClassroom(ctx, 2);
  const sessionId = await scheduleSession(ctx, room);
  const { code } = await openWithCode(ctx, room, sessionId);
  const socket = await openAuthedSocket(url, room.teacherToken);
  await socket.subscribe(`session:${sessionId}`);
  return { room, sessionId, code, socket, topic: `session:${sessionId}` };
}

/** A check-in that `witness` (an admin on the topic) sees; `loser` must not have received it. */
async function expectNoLongerReceives(ctx: TestContext, room: Classroom, sessionId: string, code: string, witness: TestSocket, loser: TestSocket, studentIndex: number) {
  const student = room.students[studentIndex];
  const res = await ctx.request({ method: 'POST', url: '/api/checkin', token: student.token, payload: { code, sessionId } });
  expect(res.statusCode, res.body).toBe(201);
  await witness.next((m) => m.event === 'CHECKIN' && m.data.record.studentId === student.id, 'witness CHECKIN');
  expect(loser.messages.some((m) => m.event === 'CHECKIN' && m.data?.record?.studentId === student.id)).toBe(false);
}

describeEachDialect('socket access follows the user', (ctx) => {
  let url: string;
  let admin: Awaited<ReturnType<typeof userWithToken>>;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    await ctx().app.listen({ port: 0, host: '127.0.0.1' });
    url = wsUrlOf(ctx().app);
    admin = await userWithToken(ctx(), 'admin');
  });
  afterAll(() => sockets.forEach((s) => s.close()));

  it('a teacher removed from the course loses the session topic at once (UNSUBSCRIBED) and gets no more events', async () => {
    const { room, sessionId, code, socket, topic } = await watchedSession(ctx(), url);
    const witness = await openAuthedSocket(url, admin.token);
    sockets.push(socket, witness);
    await witness.subscribe(topic);
    const other = await buildUser(ctx().db, { role: 'teacher' });
    const patch = await ctx().request({ method: 'PATCH', url: `/api/courses/${room.courseId}`, token: admin.token, payload: { teacherIds: [other.id] } });
    expect(patch.statusCode, patch.body).toBe(200);
    const dropped = await socket.nextEvent('UNSUBSCRIBED');
    expect(dropped.data).toEqual({ topic, reason: 'course_changed' });
    // The admin keeps the topic.
    expect(witness.messages.some((m) => m.event === 'UNSUBSCRIBED')).toBe(false);
    await expectNoLongerReceives(ctx(), room, sessionId, code, witness, socket, 0);
    // The socket itself stays open and usable.
    expect((await socket.request('PING')).event).toBe('PONG');
  });

  it('a deactivated teacher is closed with 4401 at once, without sending anything', async () => {
    const { room, socket } = await watchedSession(ctx(), url);
    const res = await ctx().request({ method: 'DELETE', url: `/api/users/${room.teacher.id}`, token: admin.token });
    expect(res.statusCode).toBe(204);
    expect((await socket.closed).code).toBe(WS_CLOSE.unauthenticated);
  });

  it('an admin demoted to teacher loses the topics of courses they do not teach', async () => {
    const { room, sessionId, code, topic } = await watchedSession(ctx(), url);
    const demoted = await buildUser(ctx().db, { role: 'admin' });
    const s = await openAuthedSocket(url, await loginAs(ctx(), demoted));
    const witness = await openAuthedSocket(url, admin.token);
    sockets.push(s, witness);
    await s.subscribe(topic);
    await witness.subscribe(topic);
    const res = await ctx().request({ method: 'PATCH', url: `/api/users/${demoted.id}`, token: admin.token, payload: { role: 'teacher' } });
    expect(res.statusCode, res.body).toBe(200);
    expect((await s.nextEvent('UNSUBSCRIBED')).data).toEqual({ topic, reason: 'account_changed' });
    await expectNoLongerReceives(ctx(), room, sessionId, code, witness, s, 1);
    // And they may not subscribe again.
    expect((await s.request('SUBSCRIBE', { topic })).data.code).toBe('forbidden');
  });
});

describe.runIf(inject('redisAvailable') && inject('dialects').includes('postgres'))('socket access across two nodes (Redis bus)', () => {
  let database: TestDatabase;
  const handles: DbHandle[] = [];
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    for (let i = 0; i < 2; i++) {
      const handle = database.open();
      handles.push(handle);
      const app = await buildApp(testConfig(database, { REDIS_URL: REDIS_TEST_URL }), { database: handle });
      await app.listen({ port: 0, host: '127.0.0.1' });
      apps.push(app);
    }
    for (let i = 0; i < 50 && apps.some((a) => a.bus.state !== 'ok'); i++) await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const h of handles) await h.db.destroy();
    await database?.drop();
  });

  it('removing a teacher on node A drops their topic on node B', async () => {
    const [a, b] = apps;
    const ctxA = {
      app: a,
      db: a.db,
      dialect: 'postgres' as const,
      config: a.config,
      database,
      request: ({ token, headers, ...opts }: Parameters<TestContext['request']>[0]) =>
        a.inject({ ...opts, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } }),
    } satisfies TestContext;
    const adminA = await userWithToken(ctxA, 'admin');
    const room = await buildClassroom(ctxA, 1);
    const sessionId = await scheduleSession(ctxA, room);
    await openWithCode(ctxA, room, sessionId);
    const onB = await openAuthedSocket(wsUrlOf(b), room.teacherToken);
    try {
      await onB.subscribe(`session:${sessionId}`);
      const other = await buildUser(a.db, { role: 'teacher' });
      const patch = await ctxA.request({ method: 'PATCH', url: `/api/courses/${room.courseId}`, token: adminA.token, payload: { teacherIds: [other.id] } });
      expect(patch.statusCode, patch.body).toBe(200);
      expect((await onB.nextEvent('UNSUBSCRIBED')).data).toEqual({ topic: `session:${sessionId}`, reason: 'course_changed' });
    } finally {
      onB.close();
    }
  });
});
