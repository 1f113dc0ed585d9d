import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { PG_ADMIN_URL, REDIS_TEST_URL, reachable } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dialects: ('sqlite' | 'postgres')[];
    redisAvailable: boolean;
    browserPath: string | null;
  }
}

/**
 * Decides which databases the suite runs on. TEST_DATABASES=sqlite,postgres makes each one required
 * (CI sets it, so nothing can silently skip there); without it PostgreSQL is used when reachable.
 * REQUIRE_REDIS=1 likewise makes the Redis suites required.
 */
export default async function setup(project: TestProject) {
  const requested = process.env.TEST_DATABASES?.split(',').map((s) => s.trim()).filter(Boolean);
  const pgUp = await reachable(PG_ADMIN_URL);
  let dialects: ('sqlite' | 'postgres')[];
  if (requested) {
    for (const d of requested) if (d !== 'sqlite' && d !== 'postgres') throw new Error(`TEST_DATABASES: unknown dialect ${d}`);
    if (requested.includes('postgres') && !pgUp) {
      throw new Error(`TEST_DATABASES includes postgres but nothing answers at ${PG_ADMIN_URL}`);
    }
    dialects = requested as ('sqlite' | 'postgres')[];
  } else {
    dialects = pgUp ? ['sqlite', 'postgres'] : ['sqlite'];
    if (!pgUp) console.warn(`[rollbook tests] PostgreSQL not reachable at ${PG_ADMIN_URL}: running on SQLite only`);
  }
  const redisUp = await reachable(REDIS_TEST_URL);
  if (process.env.REQUIRE_REDIS === '1' && !redisUp) {
    throw new Error(`REQUIRE_REDIS=1 but nothing answers at ${REDIS_TEST_URL}`);
  }
  if (!redisUp) console.warn(`[rollbook tests] Redis not reachable at ${REDIS_TEST_URL}: multi-node suites are reported as skipped`);
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const browserUp = existsSync(chromium);
  if (process.env.REQUIRE_BROWSER === '1' && !browserUp) {
    throw new Error(`REQUIRE_BROWSER=1 but there is no Chromium at ${chromium} (apt-get install chromium)`);
  }
  if (!browserUp) console.warn(`[rollbook tests] no Chromium at ${chromium}: browser suites are reported as skipped`);
  project.provide('browserPath', browserUp ? chromium : null);
  project.provide('dialects', dialects);
  project.provide('redisAvailable', redisUp);
}
