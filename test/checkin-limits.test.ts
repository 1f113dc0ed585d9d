import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../server/app.js';
import type { DbHandle } from '../server/db/kysely.js';
import { buildClassroom, openWithCode, scheduleSession } from './support/classroom.js';
import { REDIS_TEST_URL } from './support/services.js';
import { describeEachDialect, testConfig, type TestContext } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const MAX_PER_USER = 3;
const MAX_PER_IP = 5;

describeEachDialect(
  'check-in code limits under concurrency',
  (ctx) => {
    it('60 parallel wrong codes from one student: only the budget is checked, the rest and then the right code get 429', async () => {
      const room = await buildClassroom(ctx(), 1);
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId);
      const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: wrong }, remoteAddress: `10.70.0.${i + 1}` }),
        ),
      );
      expect(results.filter((r) => r.statusCode === 403)).toHaveLength(MAX_PER_USER);
      expect(results.filter((r) => r.statusCode === 429)).toHaveLength(60 - MAX_PER_USER);
      const right = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code }, remoteAddress: '10.70.1.1' });
      expect(right.statusCode).toBe(429);
    });

    it('right codes give their reservation back: a whole class behind one address checks in', async () => {
      const room = await buildClassroom(ctx(), MAX_PER_IP * 2);
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId);
      const results = await Promise.all(
        room.students.map((s) => ctx().request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code }, remoteAddress: '10.71.0.1' })),
      );
      expect(results.map((r) => r.statusCode)).toEqual(room.students.map(() => 201));
    });
  },
  { CHECKIN_MAX_FAILURES_PER_USER: String(MAX_PER_USER), CHECKIN_MAX_FAILURES_PER_IP: String(MAX_PER_IP) },
);

/** An address no earlier run used: the budgets live in the shared Redis for the whole window. */
const freshIp = () => `10.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 250)}`;

describe('check-in code limits across two nodes sharing Redis', () => {
  const redisUp = inject('redisAvailable');
  const dialect = inject('dialects').includes('postgres') ? 'postgres' : 'sqlite';
  let database: TestDatabase;
  const handles: DbHandle[] = [];
  const apps: FastifyInstance[] = [];
  let ctx: TestContext;

  beforeAll(async () => {
    if (!redisUp) return;
    database = await createTestDatabase(dialect);
    for (let i = 0; i < 2; i++) {
      const handle = database.open();
      handles.push(handle);
      const config = testConfig(database, {
        REDIS_URL: REDIS_TEST_URL,
        CHECKIN_MAX_FAILURES_PER_USER: String(MAX_PER_USER),
        CHECKIN_MAX_FAILURES_PER_IP: String(MAX_PER_IP),
      });
      const app = await buildApp(config, { database: handle });
      await app.ready();
      apps.push(app);
      if (i === 0) {
        ctx = {
          app,
          db: handle.db,
          dialect,
          config,
          database,
          request: ({ token, headers, ...opts }) => app.inject({ ...opts, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } }),
        };
      }
    }
    // Both nodes' Redis clients connected, so the shared counters (not the insurance) are used.
    for (let i = 0; i < 50 && apps.some((a) => a.redis?.status !== 'ready'); i++) await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const h of handles) await h.db.destroy();
    await database?.drop();
  });

  const checkin = (node: number, token: string | undefined, code: string, remoteAddress: string) =>
    apps[node].inject({ method: 'POST', url: '/api/checkin', headers: { authorization: `Bearer ${token}` }, payload: { code }, remoteAddress });

  it.runIf(redisUp)('60 parallel wrong codes from one student over both nodes: only the budget is checked', async () => {
    const room = await buildClassroom(ctx, 1);
    const { code } = await openWithCode(ctx, room, await scheduleSession(ctx, room));
    const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => checkin(i % 2, room.students[0].token, wrong, freshIp())));
    expect(results.filter((r) => r.statusCode === 403)).toHaveLength(MAX_PER_USER);
    expect(results.filter((r) => r.statusCode === 429)).toHaveLength(60 - MAX_PER_USER);
    for (const node of [0, 1]) expect((await checkin(node, room.students[0].token, code, freshIp())).statusCode).toBe(429);
  });

  it.runIf(redisUp)("an address's failures count on both nodes; a student it refuses keeps their own budget", async () => {
    const room = await buildClassroom(ctx, MAX_PER_IP + 2);
    const { code } = await openWithCode(ctx, room, await scheduleSession(ctx, room));
    const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
    const ip = freshIp();
    for (let i = 0; i < MAX_PER_IP; i++) expect((await checkin(i % 2, room.students[i].token, wrong, ip)).statusCode).toBe(403);
    const last = room.students[MAX_PER_IP];
    // Refused on both nodes before the code is looked at, even the right one…
    for (const node of [0, 1]) expect((await checkin(node, last.token, code, ip)).statusCode).toBe(429);
    // …and those refusals took nothing from the student: MAX_PER_USER - 1 wrong codes elsewhere, then the right one.
    for (let i = 0; i < MAX_PER_USER - 1; i++) expect((await checkin(i % 2, last.token, wrong, freshIp())).statusCode).toBe(403);
    expect((await checkin(1, last.token, code, freshIp())).statusCode).toBe(201);
  });

  it.runIf(redisUp)('right codes give their reservation back: a class behind one address checks in on both nodes', async () => {
    const room = await buildClassroom(ctx, MAX_PER_IP * 2);
    const { code } = await openWithCode(ctx, room, await scheduleSession(ctx, room));
    const ip = freshIp();
    const results = await Promise.all(room.students.map((s, i) => checkin(i % 2, s.token, code, ip)));
    expect(results.map((r) => r.statusCode)).toEqual(room.students.map(() => 201));
  });
});
