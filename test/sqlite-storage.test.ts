import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitGroup } from '../server/db/commit-group.js';
import { hotQuery } from '../server/db/hot-query.js';
import { type DbHandle, migrateToLatest, withStatementCache } from '../server/db/kysely.js';
import type { Db } from '../server/db/kysely.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** The check-in path's storage helpers (docs/performance.md): group commit, hot queries, statement reuse. */
describe('SQLite storage helpers', () => {
  let database: TestDatabase;
  let handle: DbHandle;
  let other: DbHandle;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    handle = database.open();
    await migrateToLatest(handle.db);
    other = database.open();
  });
  afterAll(async () => {
    await handle.db.destroy();
    await other.db.destroy();
    await database.drop();
  });

  const dept = (db: Db, code: string) =>
    db.insertInto('departments').values({ id: `d-${code}`, code, name: code, created_at: new Date().toISOString() }).execute();
  const codes = async (db: Db) => (await db.selectFrom('departments').select('code').orderBy('code').execute()).map((r) => r.code);

  it('group commit: units arriving together share a commit, a failing unit is undone alone, callers learn after the commit', async () => {
    const group = new CommitGroup(handle.db);
    const seenByLater: string[][] = [];
    const committedWhenResolved: string[][] = [];
    const a = group.run(async (trx) => {
      await dept(trx, 'A1');
      return 'a';
    });
    const b = group.run(async (trx) => {
      await dept(trx, 'B1');
      await dept(trx, 'B2');
      throw new Error('unit b fails after writing');
    });
    const c = group.run(async (trx) => {
      seenByLater.push(await codes(trx));
      await dept(trx, 'C1');
      return 'c';
    });
    const watched = a.then(async (v) => {
      // Another connection already sees the group's writes: the promise settles after COMMIT.
      committedWhenResolved.push(await codes(other.db));
      return v;
    });
    await expect(watched).resolves.toBe('a');
    await expect(b).rejects.toThrow('unit b fails after writing');
    await expect(c).resolves.toBe('c');
    expect(seenByLater).toEqual([['A1']]);
    expect(committedWhenResolved).toEqual([['A1', 'C1']]);
    expect(await codes(handle.db)).toEqual(['A1', 'C1']);
  });

  it('group commit: a unit that breaks a constraint is undone alone; later groups run normally', async () => {
    const group = new CommitGroup(handle.db);
    const dup = group.run((trx) => dept(trx, 'A1'));
    const fresh = group.run((trx) => dept(trx, 'D1'));
    await expect(dup).rejects.toThrow();
    await expect(fresh).resolves.toBeDefined();
    await expect(group.run((trx) => dept(trx, 'E1'))).resolves.toBeDefined();
    expect(await codes(handle.db)).toEqual(['A1', 'C1', 'D1', 'E1']);
  });

  it('group commit: a unit alone in its transaction (no savepoint) that fails is rolled back whole; the next one commits', async () => {
    const group = new CommitGroup(handle.db);
    const lone = group.run(async (trx) => {
      await dept(trx, 'H1');
      await dept(trx, 'A1');
    });
    await expect(lone).rejects.toThrow();
    await expect(group.run((trx) => dept(trx, 'I1'))).resolves.toBeDefined();
    const now = await codes(handle.db);
    expect(now).not.toContain('H1');
    expect(now).toContain('I1');
  });

  it('hot queries bind new arguments into the SQL compiled once, plain values and object fields alike', async () => {
    const byCode = hotQuery((db: Db, code: string) => db.selectFrom('departments').select(['id', 'code']).where('code', '=', code));
    const insert = hotQuery((db: Db, d: { id: string; code: string; name: string; at: string }) =>
      db.insertInto('departments').values({ id: d.id, code: d.code, name: d.name, created_at: d.at }),
    );
    expect((await byCode(handle.db, 'A1')).rows).toEqual([{ id: 'd-A1', code: 'A1' }]);
    expect((await byCode(handle.db, 'C1')).rows).toEqual([{ id: 'd-C1', code: 'C1' }]);
    expect((await byCode(handle.db, 'nope')).rows).toEqual([]);
    await handle.db.transaction().execute(async (trx) => {
      await insert(trx, { id: 'd-F1', code: 'F1', name: 'Eff', at: '2026-11-21T00:00:00.000Z' });
      await insert(trx, { id: 'd-G1', code: 'G1', name: 'Gee', at: '2026-11-21T00:00:00.000Z' });
    });
    expect(await handle.db.selectFrom('departments').select(['code', 'name']).where('code', 'in', ['F1', 'G1']).orderBy('code').execute()).toEqual([
      { code: 'F1', name: 'Eff' },
      { code: 'G1', name: 'Gee' },
    ]);
    const broken = hotQuery((db: Db, code: string) => db.selectFrom('departments').select('id').where('code', '=', code === 'x' ? 'x' : 'y'));
    await expect(broken(handle.db, 'A1')).rejects.toThrow(/not used as a value/);
  });

  it('reuses prepared statements, but never one that is still being iterated', async () => {
    const results = await Promise.all(
      ['A1', 'C1', 'D1', 'A1'].map((code) => handle.db.selectFrom('departments').select('code').where('code', '=', code).executeTakeFirst()),
    );
    expect(results.map((r) => r?.code)).toEqual(['A1', 'C1', 'D1', 'A1']);

    const sqlite = new SQLite(database.url.slice('sqlite:'.length));
    const cached = withStatementCache(sqlite);
    const text = 'select code from departments order by code';
    expect(cached.prepare(text)).toBe(cached.prepare(text));
    const iterating = cached.prepare(text) as unknown as SQLite.Statement;
    const seen: string[] = [];
    for (const row of iterating.iterate() as Iterable<{ code: string }>) {
      const meanwhile = cached.prepare(text) as unknown as SQLite.Statement;
      expect(meanwhile).not.toBe(iterating);
      seen.push(row.code, (meanwhile.all() as { code: string }[]).length.toString());
    }
    const all = await codes(handle.db);
    expect(all).toEqual(['A1', 'C1', 'D1', 'E1', 'F1', 'G1', 'I1']);
    expect(seen).toEqual(all.flatMap((code) => [code, String(all.length)]));
    cached.close();
  });
});
