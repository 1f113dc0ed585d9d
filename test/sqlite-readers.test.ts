import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type DbHandle } from '../server/db/kysely.js';
import { readHeavy } from '../server/db/sqlite-readers.js';
import { isUnavailableError } from '../server/errors.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** Report reads on reader threads (server/db/sqlite-readers.ts): same rows, fresh data, a deadline, no lost thread. */
describe('SQLite reader threads', () => {
  let database: TestDatabase;
  let handle: DbHandle;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    handle = openDatabase(database.url, { sqliteReaders: 2, timeouts: { connectMs: 1000, statementMs: 300, idleInTransactionMs: 1000 } });
    await migrateToLatest(handle.db);
  });
  afterAll(async () => {
    await handle.db.destroy();
    await database.drop();
  });

  const departments = () => handle.db.selectFrom('departments').select(['code', 'name']).orderBy('code');
  const add = (code: string) => handle.db.insertInto('departments').values({ id: `d-${code}`, code, name: `Dept ${code}`, created_at: new Date().toISOString() }).execute();

  it('returns what the server connection returns, including what was committed just before', async () => {
    await add('A');
    expect(await readHeavy(handle.db, departments())).toEqual([{ code: 'A', name: 'Dept A' }]);
    await add('B');
    const [onReader, onServer] = await Promise.all([readHeavy(handle.db, departments()), departments().execute()]);
    expect(onReader).toEqual(onServer);
    expect(onReader.map((d) => d.code)).toEqual(['A', 'B']);
  });

  it('reads inside a transaction on the transaction, seeing its own uncommitted writes', async () => {
    await handle.db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('departments').values({ id: 'd-T', code: 'T', name: 'Dept T', created_at: new Date().toISOString() }).execute();
        const inside = await readHeavy(trx, trx.selectFrom('departments').select('code').orderBy('code'));
        expect(inside.map((d) => d.code)).toEqual(['A', 'B', 'T']);
        throw new Error('roll back');
      })
      .catch((err: Error) => expect(err.message).toBe('roll back'));
    expect((await readHeavy(handle.db, departments())).map((d) => d.code)).toEqual(['A', 'B']);
  });

  it('refuses to write', async () => {
    const write = handle.db.insertInto('departments').values({ id: 'd-W', code: 'W', name: 'W', created_at: new Date().toISOString() }).returning('code');
    await expect(readHeavy(handle.db, write as never)).rejects.toThrow(/readonly|query_only|attempt to write/i);
    expect((await departments().execute()).map((d) => d.code)).toEqual(['A', 'B']);
  });

  it('interrupts a read past its deadline as "unavailable", and the next read works on a fresh thread', async () => {
    const slow = sql<{ n: number }>`with recursive c(x) as (select 1 union all select x + 1 from c where x < 2000000000) select count(*) as n from c`;
    const started = Date.now();
    const err = await readHeavy(handle.db, { compile: () => slow.compile(handle.db), execute: () => slow.execute(handle.db).then((r) => r.rows) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe('SQLITE_INTERRUPT');
    expect(isUnavailableError(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    // Every reader thread still answers (the interrupted one was replaced).
    const again = await Promise.all([1, 2, 3, 4].map(() => readHeavy(handle.db, departments())));
    for (const rows of again) expect(rows.map((d) => d.code)).toEqual(['A', 'B']);
  });
});

/** The WAL is checkpointed by a reader thread, not by the commit that happens to cross a size limit. */
describe('SQLite WAL checkpoints on a reader thread', () => {
  let database: TestDatabase;
  let handle: DbHandle;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    // Due after 100 statements, or 1.5 s after a smaller write (in the server: 20,000 and 30 s).
    handle = openDatabase(database.url, { sqliteReaders: 1, checkpointAfter: { statements: 100, ms: 1500 } });
    await migrateToLatest(handle.db);
  });
  afterAll(async () => {
    await handle.db.destroy();
    await database.drop();
  });

  const walFrames = async () => (await sql<{ busy: number; log: number; checkpointed: number }>`pragma wal_checkpoint(PASSIVE)`.execute(handle.db)).rows[0];
  const setting = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(handle.db)).rows[0] as object)[0];

  it('the server connection leaves checkpoints to the reader (only a far limit of its own), and within seconds of a write the WAL is copied back', async () => {
    expect(await setting('wal_autocheckpoint')).toBe(100_000);
    await handle.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 300; i++) {
        await trx.insertInto('departments').values({ id: `ck-${i}`, code: `CK${i}`, name: 'x'.repeat(500), created_at: new Date().toISOString() }).execute();
      }
    });
    // The reader checkpoints within a second or two of so many writes. Nobody else does here (the
    // server's limit is far off), so once it has copied everything, the next write starts the WAL
    // over: a checkpoint of our own then finds only that write's frames in it, not the hundreds above.
    let frames = { busy: -1, log: -1, checkpointed: -1 };
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2500));
      await handle.db.updateTable('departments').set({ name: 'z' }).where('id', '=', 'ck-0').execute();
      frames = await walFrames();
      if (frames.log < 10) break;
    }
    expect(frames.busy).toBe(0);
    expect(frames.log).toBeGreaterThan(0);
    expect(frames.log).toBeLessThan(10);
  });
});
