// PostgreSQL: a transaction's BEGIN and the commit group's savepoints wait on the connection and go
// in the same write as the next statement (server/db/kysely.ts, usePreparedStatements); a COMMIT
// that PostgreSQL answers with ROLLBACK is an error; a transaction's last statement can take its
// COMMIT along (COMMIT_WITH_NEXT). What that must keep: every statement runs as before, a failure
// of a statement that went ahead is told apart from one of the statement itself, nothing is
// committed unless the statement and its COMMIT both succeeded, and nothing is left waiting on a
// connection.
import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { CommitGroup, commitWithNextStatement, NeedsOwnTransaction } from '../server/db/commit-group.js';
import { hotQuery, preparedStatement } from '../server/db/hot-query.js';
import { COMMIT_WITH_NEXT, type Db, type DbHandle, migrateToLatest, PIPELINE_STATUS, statementsSent, WITH_NEXT } from '../server/db/kysely.js';
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
  const idleInTransaction = (conn: Db) =>
    sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where pid = pg_backend_pid() and state like 'idle in transaction%'`.execute(conn);
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
      expect((await idleInTransaction(conn)).rows[0].n).toBe(0);
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

  it('a named prepared statement\'s rows are what node-postgres makes of the same text unnamed, on every execution, alone and in a pipeline', async () => {
    // Every kind of column the row maker meets: int8 (parsed to a number here), int4, bool, text,
    // json, nulls, a repeated name (the later column wins), names that are not identifiers.
    const text = `select $1::bigint as n, $2::int as i, $3::boolean as b, $4::text as t, $5::json as j, null::text as "nothing",
      'first' as twice, 'second' as twice, 'odd' as "__proto__", 'spaced' as "a column", 'quoted' as "say ""hi"""`;
    const named = preparedStatement<Record<string, unknown>>(text);
    const cases: unknown[][] = [
      [42, 7, true, 'x', '{"a":[1,null]}'],
      [null, null, null, null, null],
      [-1, 0, false, '', 'null'],
    ];
    for (const values of cases) {
      // The same text with a different tail is another (unnamed) statement: node-postgres' own rows.
      const expected = (await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`${text} where true`, values))).rows;
      for (let i = 0; i < 2; i++) {
        const rows = (await named(db, values)).rows;
        expect(rows).toEqual(expected);
        expect(Object.keys(rows[0])).toEqual(Object.keys(expected[0]));
        expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
        expect(Object.prototype.hasOwnProperty.call(rows[0], '__proto__')).toBe(true);
      }
      // With a BEGIN written ahead of it (PipelinedQuery).
      await db.transaction().execute(async (trx) => {
        expect((await named(trx, values)).rows).toEqual(expected);
      });
    }
    expect((await named(db, cases[0])).rows[0]).toMatchObject({ n: 42, i: 7, b: true, t: 'x', j: { a: [1, null] }, nothing: null, twice: 'second', 'a column': 'spaced', 'say "hi"': 'quoted' });
  });

  it('a named prepared statement is described once per connection: later executions send no Describe and still make the same rows', async () => {
    const text = `select $1::int as i, $2::text as t, null::boolean as b, 'x' as twice, 'y' as twice`;
    const named = preparedStatement<Record<string, unknown>>(text);
    const describes = vi.spyOn(pg.Connection.prototype, 'describe');
    try {
      // One transaction: one connection, statements one after another (the first may describe; a
      // BEGIN goes ahead of it, PipelinedQuery).
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 6; i++) expect((await named(trx, [i, `v${i}`])).rows).toEqual([{ i, t: `v${i}`, b: null, twice: 'y' }]);
      });
      expect(describes.mock.calls.length).toBeLessThanOrEqual(1);
      // Every later execution on any connection of the pool: no Describe at all once each has parsed it.
      await Promise.all(Array.from({ length: 20 }, (_, i) => named(db, [i, 'p'])));
      const seen = describes.mock.calls.length;
      for (let i = 0; i < 20; i++) expect((await named(db, [i, null])).rows).toEqual([{ i, t: null, b: null, twice: 'y' }]);
      expect(describes.mock.calls.length).toBe(seen);
      // A statement with no rows to describe (an insert) keeps node-postgres' Describe: nothing is assumed.
      const insert = preparedStatement(`insert into departments (id, code, name, created_at) values ($1, $1, $1, '2026-01-01')`);
      await db.transaction().execute(async (trx) => {
        await insert(trx, ['DESC-1']);
        await insert(trx, ['DESC-2']);
      });
      expect(describes.mock.calls.length).toBe(seen + 2);
      await db.deleteFrom('departments').where('code', 'like', 'DESC-%').execute();
      // And a statement's own error still reaches the caller (the bind of a bad value).
      await expect(named(db, ['not a number', 'x'])).rejects.toThrow(/invalid input syntax/);
      expect((await named(db, [7, 'after'])).rows).toEqual([{ i: 7, t: 'after', b: null, twice: 'y' }]);
    } finally {
      describes.mockRestore();
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

  it('COMMIT written with a transaction\'s last statement: one round trip for both, committed, and the COMMIT after it sends nothing', async () => {
    const before = statementsSent(db);
    await db.transaction().execute(async (trx) => {
      await dept(trx, 'C1');
      await trx.executeQuery(CompiledQuery.raw(COMMIT_WITH_NEXT));
      await dept(trx, 'C2');
      // Already committed: another connection sees both rows before the transaction's own COMMIT.
      expect((await byCode(db, 'C1')).rows).toEqual([{ code: 'C1' }]);
      expect((await byCode(db, 'C2')).rows).toEqual([{ code: 'C2' }]);
    });
    // [BEGIN + C1], [C2 + COMMIT], the two reads; the transaction's COMMIT sent nothing.
    expect(statementsSent(db) - before).toBe(4);
    await db.connection().execute(async (conn) => expect((await idleInTransaction(conn)).rows[0].n).toBe(0));
    await db.deleteFrom('departments').where('code', 'in', ['C1', 'C2']).execute();
  });

  it('a statement that fails with the COMMIT behind it commits nothing: the transaction stays open, failed, and is rolled back', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await dept(trx, 'C3');
        await trx.executeQuery(CompiledQuery.raw(COMMIT_WITH_NEXT));
        await dept(trx, 'P1'); // a duplicate
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await codes()).not.toContain('C3');
    await db.connection().execute(async (conn) => expect((await idleInTransaction(conn)).rows[0].n).toBe(0));
  });

  it('a COMMIT that fails after its statement succeeded (a deferred constraint) fails the statement: nothing is kept', async () => {
    await sql`create table if not exists deferred_check (v int, constraint deferred_check_v unique (v) deferrable initially deferred)`.execute(db);
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.executeQuery(CompiledQuery.raw(COMMIT_WITH_NEXT));
        // Both rows go in; the unique key is checked at COMMIT, which fails.
        await sql`insert into deferred_check (v) values (1), (1)`.execute(trx);
      }),
    ).rejects.toThrow(/deferred_check_v/);
    expect((await sql<{ n: number }>`select count(*)::int as n from deferred_check`.execute(db)).rows[0].n).toBe(0);
    await sql`drop table deferred_check`.execute(db);
  });

  it('group commit: a unit alone, or the last of its group, may send the COMMIT with its last write; one that then needs more runs again in a transaction of its own', async () => {
    const group = new CommitGroup(db, { lanes: 1, pipeline: true });
    const armed: boolean[] = [];
    let before = statementsSent(db);
    await group.run(async (trx) => {
      armed.push(await commitWithNextStatement(trx));
      await dept(trx, 'E1');
    });
    // [BEGIN + E1 + COMMIT]: one round trip.
    expect(statementsSent(db) - before).toBe(1);
    expect(armed).toEqual([true]);

    armed.length = 0;
    let runs = 0;
    before = statementsSent(db);
    const value = await group.run(async (trx) => {
      runs++;
      const early = await commitWithNextStatement(trx);
      armed.push(early);
      // The first run's statement finds it has to do more, and wrote nothing that needs undoing.
      const found = await byCode(trx, 'E1');
      if (early) throw new NeedsOwnTransaction();
      await dept(trx, 'E2');
      return found.rows.length;
    });
    expect(value).toBe(1);
    expect(runs).toBe(2);
    expect(armed).toEqual([true, false]);
    // [BEGIN + read + COMMIT], then [BEGIN + read], E2, COMMIT.
    expect(statementsSent(db) - before).toBe(4);

    armed.length = 0;
    before = statementsSent(db);
    await Promise.all(
      ['E3', 'E4', 'E5'].map((code) =>
        group.run(async (trx) => {
          armed.push(await commitWithNextStatement(trx));
          await dept(trx, code);
        }),
      ),
    );
    // Only the last unit of the group: [BEGIN + savepoint + E3], [release + savepoint + E4],
    // [release + savepoint + E5 + COMMIT].
    expect(armed).toEqual([false, false, true]);
    expect(statementsSent(db) - before).toBe(3);
    expect(await codes()).toEqual(expect.arrayContaining(['E1', 'E2', 'E3', 'E4', 'E5']));
    await db.connection().execute(async (conn) => expect((await idleInTransaction(conn)).rows[0].n).toBe(0));
    await db.deleteFrom('departments').where('code', 'like', 'E_').execute();
  });

  it("group commit: the last unit's write failing with the COMMIT behind it undoes that unit alone; the others commit", async () => {
    const group = new CommitGroup(db, { lanes: 1, pipeline: true });
    const armed: boolean[] = [];
    const results = await Promise.allSettled(
      ['L1', 'L2', 'P1'].map((code) =>
        group.run(async (trx) => {
          armed.push(await commitWithNextStatement(trx));
          await dept(trx, code); // P1 is there already: the last unit's write fails, PostgreSQL skips the COMMIT
        }),
      ),
    );
    expect(armed).toEqual([false, false, true]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/duplicate key/);
    expect(await codes()).toEqual(['L1', 'L2', 'P1', 'P2']);
    await db.connection().execute(async (conn) => expect((await idleInTransaction(conn)).rows[0].n).toBe(0));
    await db.deleteFrom('departments').where('code', 'like', 'L_').execute();
  });

  it('group commit: a last unit that committed the group with a write that wrote nothing, then needs more, runs again alone; the others stay committed', async () => {
    const group = new CommitGroup(db, { lanes: 1, pipeline: true });
    const armed: string[] = [];
    const results = await Promise.all([
      group.run((trx) => dept(trx, 'N1')),
      group.run(async (trx) => {
        const early = await commitWithNextStatement(trx);
        armed.push(early ? 'armed' : 'not armed');
        const found = (await byCode(trx, 'N1')).rows.length;
        if (early) throw new NeedsOwnTransaction();
        await dept(trx, 'N2');
        return found;
      }),
    ]);
    // Armed as the last of the group, then run again alone after NeedsOwnTransaction (never armed then).
    expect(armed).toEqual(['armed', 'not armed']);
    expect(results[1]).toBe(1);
    expect(await codes()).toEqual(['N1', 'N2', 'P1', 'P2']);
    await db.connection().execute(async (conn) => expect((await idleInTransaction(conn)).rows[0].n).toBe(0));
    await db.deleteFrom('departments').where('code', 'like', 'N_').execute();
  });

  it("group commit: a COMMIT that fails after the last unit's write (a deferred constraint) fails every unit of the group with its error; nothing is kept", async () => {
    await sql`create table deferred_group (v int unique deferrable initially deferred)`.execute(db);
    try {
      const group = new CommitGroup(db, { lanes: 1, pipeline: true });
      const armed: boolean[] = [];
      const results = await Promise.allSettled(
        [1, 2, 1].map((v) =>
          group.run(async (trx) => {
            armed.push(await commitWithNextStatement(trx));
            await sql`insert into deferred_group (v) values (${v})`.execute(trx);
          }),
        ),
      );
      expect(armed).toEqual([false, false, true]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      for (const r of results) expect(String((r as PromiseRejectedResult).reason)).toMatch(/deferred_group_v/);
      expect((await sql<{ n: number }>`select count(*)::int as n from deferred_group`.execute(db)).rows[0].n).toBe(0);
      await db.connection().execute(async (conn) => expect((await idleInTransaction(conn)).rows[0].n).toBe(0));
    } finally {
      await sql`drop table deferred_group`.execute(db);
    }
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
