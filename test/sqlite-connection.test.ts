// The server's SQLite connection (server/db/kysely.ts openDatabase): the journal of a savepoint —
// the commit group gives every check-in of a group one — stays in memory. SQLite spills it to a
// temporary file past 64 KiB otherwise, and writing pages there was about a sixth of a check-in's
// server CPU in `npm run bench` (docs/performance-history.md).
import { readdirSync, readlinkSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type DbHandle } from '../server/db/kysely.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** SQLite's temporary files open in this process (created and unlinked at once: `etilqs_…` (deleted)). */
function sqliteTempFiles(): string[] {
  const found: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.includes('etilqs_')) found.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return found;
}

describe.runIf(process.platform === 'linux')('the SQLite connection', () => {
  let database: TestDatabase;
  let handle: DbHandle;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    handle = openDatabase(database.url, { sqliteReaders: 0 });
    await migrateToLatest(handle.db);
    const now = new Date().toISOString();
    const rows = Array.from({ length: 3000 }, (_, i) => ({ id: `d-${i}`, code: `C${i}`, name: `Department ${i} `.padEnd(120, '.'), created_at: now }));
    for (let i = 0; i < rows.length; i += 500) await handle.db.insertInto('departments').values(rows.slice(i, i + 500)).execute();
  });
  afterAll(async () => {
    await handle.db.destroy();
    await database.drop();
  });

  it('keeps a savepoint journal of hundreds of pages in memory, and rolling back to the savepoint still undoes the change', async () => {
    const seen = await handle.db.transaction().execute(async (trx) => {
      await sql`savepoint grouped`.execute(trx);
      // Every existing page of the table changes inside the savepoint: each goes to its journal first.
      await sql`update departments set name = upper(name)`.execute(trx);
      const files = sqliteTempFiles();
      await sql`rollback to savepoint grouped`.execute(trx);
      await sql`release savepoint grouped`.execute(trx);
      return files;
    });
    expect(seen).toEqual([]);
    const { n } = await handle.db
      .selectFrom('departments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('name', 'like', 'Department%')
      .executeTakeFirstOrThrow();
    expect(Number(n)).toBe(3000);
  });
});
