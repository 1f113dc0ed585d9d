import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../server/app.js';
import type { DbHandle } from '../server/db/kysely.js';
import { buildUser } from './support/factories.js';
import { testConfig } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/**
 * Two nodes on one database, each with its own data directory and no SECRET: they must agree on the
 * signing secret (kept in the database), or a token from one is refused by the other.
 */
for (const dialect of inject('dialects')) {
  describe(`generated signing secret shared through the database [${dialect}]`, () => {
    let database: TestDatabase;
    const handles: DbHandle[] = [];
    const apps: FastifyInstance[] = [];
    const dirs: string[] = [];

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      // On PostgreSQL both nodes start at once, as a deploy would start them (SQLite is one machine's
      // file: its processes start one after the other).
      const start = async () => {
          const dir = mkdtempSync(path.join(os.tmpdir(), 'rollbook-node-'));
          dirs.push(dir);
          const handle = database.open();
          handles.push(handle);
          const app = await buildApp(testConfig(database, { SECRET: '', DATA_DIR: dir }), { database: handle });
          await app.ready();
          return app;
      };
      if (dialect === 'postgres') apps.push(...(await Promise.all([start(), start()])));
      else for (let i = 0; i < 2; i++) apps.push(await start());
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      for (const h of handles) await h.db.destroy();
      await database?.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('a token signed by one node is accepted by the other, and the secret is not the test default', async () => {
      expect(apps[0].config.SECRET).toBeUndefined();
      expect(apps[0].signingSecret.length).toBeGreaterThanOrEqual(32);
      const u = await buildUser(apps[0].db);
      const login = await apps[0].inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: u.password } });
      expect(login.statusCode, login.body).toBe(200);
      const me = await apps[1].inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${login.json().accessToken}` } });
      expect(me.statusCode, me.body).toBe(200);
      expect(me.json().id).toBe(u.id);
    });
  });
}
