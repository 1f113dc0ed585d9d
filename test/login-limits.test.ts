import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../server/app.js';
import type { DbHandle } from '../server/db/kysely.js';
import { buildUser } from './support/factories.js';
import { REDIS_TEST_URL } from './support/services.js';
import { describeEachDialect, testConfig, type TestContext } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const MAX_PER_ACCOUNT = 5;

function login(app: FastifyInstance, username: string, password: string, remoteAddress: string) {
  return app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });
}

/** 200 wrong passwords at once, then the right one, all from `ip`; returns the statuses. */
async function parallelGuesses(apps: FastifyInstance[], username: string, password: string, ip: string) {
  const wrong = await Promise.all(
    Array.from({ length: 200 }, (_, i) => login(apps[i % apps.length], username, `wrong-${i}`, ip)),
  );
  const right = await login(apps[0], username, password, ip);
  return { wrong: wrong.map((r) => r.statusCode), right };
}

describeEachDialect(
  'sign-in limits under concurrency',
  (ctx: () => TestContext) => {
    it('checks no more than the limit of 200 parallel guesses; the right one from that client is refused, from another it works', async () => {
      const u = await buildUser(ctx().db);
      const { wrong, right } = await parallelGuesses([ctx().app], u.username, u.password, '10.66.0.1');
      // Only MAX_PER_ACCOUNT guesses were checked at all (401); every other one was refused unchecked.
      expect(wrong.filter((s) => s === 401)).toHaveLength(MAX_PER_ACCOUNT);
      expect(wrong.filter((s) => s === 429)).toHaveLength(200 - MAX_PER_ACCOUNT);
      expect(right.statusCode, right.body).toBe(429);
      expect(right.json().code).toBe('too_many_attempts');
      // The real user, from their own device, still signs in.
      const real = await login(ctx().app, u.username, u.password, '10.66.0.2');
      expect(real.statusCode, real.body).toBe(200);
    });

    it('slows an account guessed from many clients instead of refusing the right password', async () => {
      const u = await buildUser(ctx().db);
      // 4 clients × 5 failures: 20 account-wide failures, far past the per-client limit.
      for (let c = 0; c < 4; c++) {
        await Promise.all(Array.from({ length: MAX_PER_ACCOUNT }, (_, i) => login(ctx().app, u.username, `bad-${i}`, `10.67.${c}.1`)));
      }
      const started = Date.now();
      const real = await login(ctx().app, u.username, u.password, '10.67.9.9');
      expect(real.statusCode, real.body).toBe(200);
      // The configured ceiling of the growing delay (LOGIN_MAX_DELAY_SECONDS=1) was applied.
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    });
  },
  { LOGIN_MAX_FAILURES_PER_ACCOUNT: String(MAX_PER_ACCOUNT), LOGIN_MAX_FAILURES_PER_IP: '1000', LOGIN_MAX_DELAY_SECONDS: '1' },
);

describe('sign-in limits across two nodes sharing Redis', () => {
  const redisUp = inject('redisAvailable');
  const dialect = inject('dialects').includes('postgres') ? 'postgres' : 'sqlite';
  let database: TestDatabase;
  const handles: DbHandle[] = [];
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    if (!redisUp) return;
    database = await createTestDatabase(dialect);
    for (let i = 0; i < 2; i++) {
      const handle = database.open();
      handles.push(handle);
      const app = await buildApp(
        testConfig(database, { REDIS_URL: REDIS_TEST_URL, LOGIN_MAX_FAILURES_PER_ACCOUNT: String(MAX_PER_ACCOUNT), LOGIN_MAX_FAILURES_PER_IP: '1000' }),
        { database: handle },
      );
      await app.ready();
      apps.push(app);
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const h of handles) await h.db.destroy();
    await database?.drop();
  });

  it.runIf(redisUp)('counts guesses made on both nodes in one budget', async () => {
    // Wait until both nodes' Redis clients are connected, so the shared counter (not the insurance) is used.
    for (let i = 0; i < 50 && apps.some((a) => a.redis?.status !== 'ready'); i++) await new Promise((r) => setTimeout(r, 100));
    const u = await buildUser(apps[0].db);
    const { wrong, right } = await parallelGuesses(apps, u.username, u.password, '10.68.0.1');
    expect(wrong.filter((s) => s === 401)).toHaveLength(MAX_PER_ACCOUNT);
    expect(right.statusCode).toBe(429);
    expect((await login(apps[1], u.username, u.password, '10.68.0.2')).statusCode).toBe(200);
  });
});
