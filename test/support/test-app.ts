import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { buildApp } from '../../server/app.js';
import { parseConfig, type Config } from '../../server/config.js';
import type { Db, Dialect, DbHandle } from '../../server/db/kysely.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123456789';

export interface TestContext {
  app: FastifyInstance;
  db: Db;
  dialect: Dialect;
  config: Config;
  database: TestDatabase;
  /** app.inject with an optional bearer token; JSON bodies are sent as JSON. */
  request(opts: InjectOptions & { token?: string }): Promise<LightMyRequestResponse>;
}

export function testConfig(database: TestDatabase, env: Record<string, string> = {}): Config {
  return parseConfig({
    DATABASE_URL: database.url,
    DATA_DIR: database.dataDir,
    SECRET: TEST_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JOBS: '0',
    PUBLIC_URL: 'http://rollbook.test',
    WEB_DIR: `${database.dataDir}/no-web`,
    ...env,
  });
}

/** Starts an app on a fresh database of `dialect`; everything is dropped by `close`. */
export async function startTestApp(dialect: Dialect, env: Record<string, string> = {}): Promise<TestContext & { close(): Promise<void> }> {
  const database = await createTestDatabase(dialect);
  const handle: DbHandle = database.open();
  const config = testConfig(database, env);
  const app = await buildApp(config, { database: handle });
  await app.ready();
  return {
    app,
    db: handle.db,
    dialect,
    config,
    database,
    request: ({ token, headers, ...opts }) =>
      app.inject({ ...opts, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } }),
    close: async () => {
      await app.close();
      await handle.db.destroy();
      await database.drop();
    },
  };
}

/** The dialects this run covers (see test/support/global-setup.ts). */
export const testDialects = (): Dialect[] => inject('dialects');

/**
 * Runs `body` once per dialect, each against its own fresh app and database. `ctx()` returns the
 * running context inside tests.
 */
export function describeEachDialect(
  name: string,
  body: (ctx: () => TestContext, dialect: Dialect) => void,
  env: Record<string, string> = {},
): void {
  for (const dialect of testDialects()) {
    describe(`${name} [${dialect}]`, () => {
      let current: (TestContext & { close(): Promise<void> }) | undefined;
      beforeAll(async () => {
        current = await startTestApp(dialect, env);
      });
      afterAll(async () => {
        await current?.close();
      });
      body(() => {
        if (!current) throw new Error('test app not started');
        return current;
      }, dialect);
    });
  }
}
