// PostgreSQL: a transaction's BEGIN and the commit group's savepoints wait on the connection and go
// in the same write as the next statement (server/db/kysely.ts, usePreparedStatements); a COMMIT
// that PostgreSQL answers with ROLLBACK is an error. What that must keep: every statement runs as
// before, a failure of a statement that went ahead is told apart from one of the statement itself,
// and nothing is left waiting on a connection.
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { CommitGroup } from '../server/db/commit-group.js';
import { hotQuery } from '../server/db/hot-query.js';
import { type Db, type DbHandle, migrateToLatest, PIPELINE_STATUS, statementsSent, WITH_NEXT } from '../server/db/kysely.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

describe.runIf(inject('dialects').includes('postgres'))('PostgreSQL: statements written with the next one', () => {
  let database: TestDatabase;
  let handle: DbHandle;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    handle = database.open();
    db = handle.db;
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  const dept = (d: Db, code: string) => d.insertInto('departments').values({ id: `d-${code}`, code, name: code, created_at: new Date().toISOString() }).execute();
  const codes = async () => (await db.selectFrom('departments').select('code').orderBy('code').execute()).map((r) => r.code);
  const byCode = hotQuery((d: Db, code: string) => d.selectFrom('departments').select('code').where('code', '=', code));
  const status = async (d: Db) => (await d.executeQuery<{ failed: boolean }>(CompiledQuery.raw(PIPELINE_STATUS))).rows[0].failed;

  it('a transaction is its statements plus COMMIT: BEGIN goes with the first; the transaction is real', async () => {
    const before = statementsSent(db);
    await db.transaction().execute(async (trx) => {
      await dept(trx, 'P1');
      // Inside the transaction: another connection does not see the row yet.
      expect((await byCode(db, 'P1')).rows).toEqual([]);
      await dept(trx, 'P2');
    });
    // insert (+ BEGIN), the other connection's read, insert, COMMIT
    expect(statementsSent(db) - before).toBe(4);
    expect(await codes()).toEqual(['P1', 'P2']);
    // A rollback undoes what went with the BEGIN.
    await expect(
      db.transaction().execute(async (trx) => {
        await dept(trx, 'P3');
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await codes()).toEqual(['P1', 'P2']);
  });

  it('a transaction that ends before its first statement costs no round trip and leaves nothing waiting', async () => {
    const before = statementsSent(db);
    await expect(
      db.transaction().execute(async () => {
        throw new Error('before any statement');
      }),
    ).rejects.toThrow('before any statement');
    expect(statementsSent(db) - before).toBe(0);
    // The connection went back clean: the next transaction on it works and is still one.
    await db.connection().execute(async (conn) => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where pid = pg_backend_pid() and state = 'idle in transaction'`.execute(conn);
      expect(rows[0].n).toBe(0);
    });
  });

  it('a named prepared statement parsed for the first time with statements ahead of it is kept; one that fails to parse is parsed again', async () => {
    const fresh = hotQuery((d: Db, code: string) => d.selectFrom('departments').select(['code', 'name']).where('code', '=', code).where('name', '!=', 'never'));
    const broken = hotQuery((d: Db, id: string) => d.selectFrom('departments').select('code').where(sql.ref('no_such_column'), '=', id));
    await db.transaction().execute(async (trx) => {
      expect((await fresh(trx, 'P1')).rows).toEqual([{ code: 'P1', name: 'P1' }]);
      expect((await fresh(trx, 'P2')).rows).toEqual([{ code: 'P2', name: 'P2' }]);
    });
    for (let i = 0; i < 2; i++) {
      await expect(db.transaction().execute((trx) => broken(trx, 'x'))).rejects.toThrow(/no_such_column/);
    }
  });

  it('a failure of a statement that went ahead is reported (PIPELINE_STATUS); one of the statement itself is not', async () => {
    await db.connection().execute(async (conn) => {
      await conn.executeQuery(CompiledQuery.raw('begin'));
      await conn.executeQuery(CompiledQuery.raw(`${WITH_NEXT}savepoint a`));
      // The statement itself fails: what went ahead ran.
      await expect(sql`select no_such_column from departments`.execute(conn)).rejects.toThrow(/no_such_column/);
      expect(await status(conn)).toBe(false);
      await conn.executeQuery(CompiledQuery.raw('rollback to savepoint a'));
      // A statement ahead fails (no such savepoint): the statement it went with did not run.
      await conn.executeQuery(CompiledQuery.raw(`${WITH_NEXT}release savepoint no_such_savepoint`));
      await expect(dept(conn, 'P9')).rejects.toThrow(/no_such_savepoint/);
      expect(await status(conn)).toBe(true);
      expect(await status(conn)).toBe(false);
      await conn.executeQuery(CompiledQuery.raw('rollback'));
    });
    expect(await codes()).toEqual(['P1', 'P2']);
  });

  it('a COMMIT that PostgreSQL answers with ROLLBACK (the transaction had failed) is an error, not a success', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await dept(trx, 'P4');
        // A failure that the work swallows leaves the transaction failed.
        await sql`select no_such_column from departments`.execute(trx).catch(() => undefined);
      }),
    ).rejects.toThrow(/ROLLBACK/);
    expect(await codes()).toEqual(['P1', 'P2']);
  });

  it('group commit with savepoints written with the next statement: a failing unit is undone alone, the others commit together', async () => {
    const group = new CommitGroup(db, { lanes: 1, pipeline: true });
    const before = statementsSent(db);
    const results = await Promise.allSettled([
      group.run((trx) => dept(trx, 'G1')),
      group.run(async (trx) => {
        await dept(trx, 'G2');
        await dept(trx, 'P1'); // a duplicate: this unit fails, with what it wrote
      }),
      group.run((trx) => dept(trx, 'G3')),
      group.run(async () => {
        throw new Error('refused before any statement');
      }),
      group.run((trx) => dept(trx, 'G4')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await codes()).toEqual(['G1', 'G3', 'G4', 'P1', 'P2']);
    // G1 (+ BEGIN, savepoint), G2 (+ release, savepoint), the duplicate, the status (no round trip),
    // rollback to savepoint, G3 (+ release, savepoint), rollback to savepoint (+ release, savepoint:
    // the refused unit), G4 (+ release, savepoint), COMMIT — then the read above.
    expect(statementsSent(db) - before).toBe(9);
  });
});
