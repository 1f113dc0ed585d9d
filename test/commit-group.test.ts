// The group commit's optimistic pass (server/db/commit-group.ts, CommitGroupOptions.optimistic): a
// group of several runs without savepoints; when any unit fails, the whole transaction is undone and
// the group runs again with a savepoint per unit, so the others still commit and only the failing
// unit gets its error. What must hold: nothing of the first pass is kept, every caller gets the
// answer of the pass that committed, and a group where nothing fails pays no savepoint.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CommitGroup } from '../server/db/commit-group.js';
import { type Db, type DbHandle, migrateToLatest, statementsSent } from '../server/db/kysely.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

for (const dialect of inject('dialects')) {
  describe(`group commit, optimistic [${dialect}]`, () => {
    let database: TestDatabase;
    let handle: DbHandle;
    let db: Db;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      handle = database.open();
      db = handle.db;
      await migrateToLatest(db);
    });
    afterAll(async () => {
      await db.destroy();
      await database.drop();
    });

    const group = () => new CommitGroup(db, dialect === 'sqlite' ? { lanes: 1, optimistic: true } : { lanes: 1, pipeline: true, optimistic: true });
    const dept = (d: Db, code: string) => d.insertInto('departments').values({ id: `d-${code}`, code, name: code, created_at: new Date().toISOString() }).execute();
    const codes = async (prefix: string) =>
      (await db.selectFrom('departments').select('code').where('code', 'like', `${prefix}%`).orderBy('code').execute()).map((r) => r.code);

    it('a group where every unit succeeds commits once, without savepoints', async () => {
      const g = group();
      const before = statementsSent(db);
      const results = await Promise.all(['A1', 'A2', 'A3'].map((code) => g.run(async (trx) => (await dept(trx, code), code))));
      // SQLite counts every statement: BEGIN, three inserts, COMMIT (with savepoints: ten). On
      // PostgreSQL the BEGIN goes with the first insert: four round trips (savepoints would go with
      // the inserts too, so there only the pass's behaviour below shows them).
      expect(statementsSent(db) - before).toBe(dialect === 'sqlite' ? 5 : 4);
      expect(results).toEqual(['A1', 'A2', 'A3']);
      expect(await codes('A')).toEqual(['A1', 'A2', 'A3']);
      expect(g.committed).toEqual({ transactions: 1, units: 3 });
    });

    it('a unit failing after it wrote: the first pass is undone, the group runs again with savepoints, the others commit and only it fails', async () => {
      const g = group();
      const runs = [0, 0, 0];
      const results = await Promise.allSettled([
        g.run(async (trx) => {
          runs[0]++;
          await dept(trx, 'B1');
        }),
        g.run(async (trx) => {
          runs[1]++;
          await dept(trx, 'B2');
          throw new Error('refused after writing');
        }),
        g.run(async (trx) => {
          runs[2]++;
          await dept(trx, 'B3');
          return (await trx.selectFrom('departments').select('code').where('code', 'like', 'B%').orderBy('code').execute()).map((r) => r.code);
        }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/refused after writing/);
      // The third unit's answer is from the pass that committed: B2 was undone to its savepoint.
      expect((results[2] as PromiseFulfilledResult<string[]>).value).toEqual(['B1', 'B3']);
      // The first pass stopped at the failing unit; the second ran all three.
      expect(runs).toEqual([2, 2, 1]);
      expect(await codes('B')).toEqual(['B1', 'B3']);
      expect(g.committed).toEqual({ transactions: 1, units: 3 });
    });

    it('gatherMs: units arriving one by one right after a commit wait and share the next commit; a unit after a quiet moment does not wait', async () => {
      // A long window, so that the test does not depend on how fast this machine is.
      const gatherMs = 400;
      const g = new CommitGroup(db, { lanes: 1, gatherMs });
      await g.run((trx) => dept(trx, 'G0'));
      // Taken as the commit is answered, a moment before the lane notes its end: the window counts
      // from that note, so the hold measured from here is never shorter than gatherMs.
      const committedAt = performance.now();
      // A request arrives in a later turn of the event loop than the commit's answers: by then the
      // lane has finished (a unit queued while the lane still runs joins its next group at once).
      await new Promise((resolve) => setImmediate(resolve));
      // Two check-ins arriving separately (as a trickling burst's do), within the window.
      const first = g.run((trx) => dept(trx, 'G1')).then(() => performance.now());
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = g.run((trx) => dept(trx, 'G2')).then(() => performance.now());
      const [firstAt, secondAt] = await Promise.all([first, second]);
      expect(g.committed).toEqual({ transactions: 2, units: 3 });
      // Held until the window after the commit had passed, then committed together.
      expect(firstAt - committedAt).toBeGreaterThanOrEqual(gatherMs - 5);
      expect(Math.abs(secondAt - firstAt)).toBeLessThan(gatherMs / 2);
      expect(await codes('G')).toEqual(['G0', 'G1', 'G2']);

      // A quiet moment longer than the window: the next unit starts in the next turn, not a window later.
      await new Promise((resolve) => setTimeout(resolve, gatherMs + 50));
      const quietStart = performance.now();
      await g.run((trx) => dept(trx, 'G3'));
      expect(performance.now() - quietStart).toBeLessThan(gatherMs / 2);
      expect(g.committed).toEqual({ transactions: 3, units: 4 });
    });

    it('yieldBetweenGroups: what a group\'s callers queue on process.nextTick (their replies\' and live events\' socket writes) runs before the next group starts', async () => {
      // better-sqlite3 answers synchronously: without the yield the lane would run the second group in
      // the same chain of microtasks, and the first group's nextTick callbacks would wait for it.
      // (PostgreSQL's lane waits on its socket between groups anyway.)
      const g = new CommitGroup(db, { lanes: 1, maxGroup: 2, yieldBetweenGroups: true, ...(dialect === 'sqlite' ? {} : { pipeline: true }) });
      const flushed: string[] = [];
      let flushedWhenSecondGroupStarted: string[] | undefined;
      const units = ['Y1', 'Y2', 'Y3', 'Y4'].map((code) =>
        g
          .run(async (trx) => {
            if (code === 'Y3') flushedWhenSecondGroupStarted = [...flushed];
            await dept(trx, code);
            return code;
          })
          .then((done) => process.nextTick(() => flushed.push(done))),
      );
      await Promise.all(units);
      await new Promise((resolve) => setImmediate(resolve));
      expect(g.committed).toEqual({ transactions: 2, units: 4 });
      expect(flushedWhenSecondGroupStarted).toEqual(['Y1', 'Y2']);
      expect(flushed).toEqual(['Y1', 'Y2', 'Y3', 'Y4']);
      expect(await codes('Y')).toEqual(['Y1', 'Y2', 'Y3', 'Y4']);
    });

    // Two lanes need two connections: PostgreSQL only (SQLite has one writer and one lane).
    if (dialect === 'postgres') it('extraLaneAt: while a lane is busy, another lane starts only once that many units wait', async () => {
      const g = new CommitGroup(db, { lanes: 2, pipeline: true, extraLaneAt: 3 });
      const started: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const unit = (code: string, hold?: Promise<void>) =>
        g.run(async (trx) => {
          started.push(code);
          await dept(trx, code);
          if (hold) await hold;
          return code;
        });
      const until = async (done: () => boolean) => {
        for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(done()).toBe(true);
      };
      const first = unit('E0', held);
      let second: Promise<string> | undefined;
      let more: Promise<string>[] = [];
      try {
        await until(() => started.includes('E0'));
        // One unit waiting while the first lane is busy: it waits for that lane (and what arrives meanwhile joins it).
        second = unit('E1');
        await new Promise((resolve) => setTimeout(resolve, 150));
        expect(started).toEqual(['E0']);
        // Three waiting: a second lane takes them, as one group, while the first is still busy.
        more = [unit('E2'), unit('E3')];
        await until(() => started.length === 4);
        expect(started).toEqual(['E0', 'E1', 'E2', 'E3']);
      } finally {
        // Never leave the first lane's transaction open for the tests after this one.
        release();
        await Promise.allSettled([first, second, ...more]);
      }
      expect(await Promise.all([first, second, ...more])).toEqual(['E0', 'E1', 'E2', 'E3']);
      expect(g.committed).toEqual({ transactions: 2, units: 4 });
      expect(await codes('E')).toEqual(['E0', 'E1', 'E2', 'E3']);
    });

    it('a unit whose statement fails (a duplicate key: on PostgreSQL the transaction is aborted) is undone alone in the second pass', async () => {
      const g = group();
      await dept(db, 'C0');
      const results = await Promise.allSettled(['C1', 'C0', 'C2'].map((code) => g.run((trx) => dept(trx, code))));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await codes('C')).toEqual(['C0', 'C1', 'C2']);
      if (dialect === 'postgres') {
        const open = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`.execute(db);
        expect(open.rows[0].n).toBe(0);
      }
    });
  });
}
