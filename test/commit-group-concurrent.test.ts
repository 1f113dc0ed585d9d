// The group commit's concurrent pass on PostgreSQL (server/db/commit-group.ts,
// CommitGroupOptions.concurrent): the units of a group that allow it run at the same time on their
// one transaction, the connection in pipeline mode, so every unit's first statement goes in one
// write, then every unit's next. What must hold: it is one transaction; units that share a key, or
// a unit that does not allow it, run one after another as before; when any unit fails nothing of
// the pass is kept and the group runs again with a savepoint per unit; the connection is left idle
// and serves what comes next. And the code check-ins' reads of a pass are one statement
// (commit-group.ts, mergedStatement) whose answers are what each would have read alone, and so are their writes.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CommitGroup, commitWithNextStatement, NeedsOwnTransaction } from '../server/db/commit-group.js';
import type { Database } from '../server/db/database.js';
import { type Db, migrateToLatest, openDatabase, statementsSent } from '../server/db/kysely.js';
import { checkinContext, type CheckinContextInput, insertCheckin } from '../server/modules/attendance/records.repository.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

describe.runIf(inject('dialects').includes('postgres'))('group commit, concurrent pass [postgres]', () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // One connection: every group, and every check afterwards, uses the same one.
    db = openDatabase(database.url, { poolSize: 1 }).db;
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  const group = () => new CommitGroup(db, { lanes: 1, pipeline: true, concurrent: true });
  const dept = (d: Db, code: string) => d.insertInto('departments').values({ id: `d-${code}`, code, name: code, created_at: new Date().toISOString() }).execute();
  const codes = async (prefix: string) =>
    (await db.selectFrom('departments').select('code').where('code', 'like', `${prefix}%`).orderBy('code').execute()).map((r) => r.code);
  /** A record row as a check-in writes it. */
  const recordRow = (now: string, id: string, sessionId: string, studentId: string) => ({
    id,
    session_id: sessionId,
    student_id: studentId,
    status: 'present' as 'present' | 'late',
    state: 'confirmed' as const,
    method: 'code' as const,
    checked_in_at: now,
    updated_at: now,
    updated_by: studentId,
    note: null,
    flags: '[]',
    browser_id: null as string | null,
    version: 1,
    absence_id: null,
  });
  const transactionId = async (d: Db) => (await sql<{ id: string }>`select txid_current()::text as id`.execute(d)).rows[0].id;

  /** Units that each write, then read: the log says in which order their steps ran. */
  function steps(g: CommitGroup<Database>, prefix: string, keys: (readonly string[] | undefined)[]) {
    const log: string[] = [];
    const runs = keys.map((k, i) =>
      g.run(
        async (trx) => {
          await dept(trx, `${prefix}${i}`);
          log.push(`write ${i}`);
          const id = await transactionId(trx);
          log.push(`read ${i}`);
          return id;
        },
        { concurrentKeys: k },
      ),
    );
    return { log, done: Promise.all(runs) };
  }

  it('units with keys apart run at the same time, in one transaction', async () => {
    const g = group();
    const { log, done } = steps(g, 'A', [['a'], ['b'], ['c']]);
    const ids = await done;
    // Every unit's first statement was answered before any unit's second ran.
    expect(log).toEqual(['write 0', 'write 1', 'write 2', 'read 0', 'read 1', 'read 2']);
    expect(new Set(ids).size).toBe(1);
    expect(await codes('A')).toEqual(['A0', 'A1', 'A2']);
    expect(g.committed).toEqual({ transactions: 1, units: 3 });
  });

  it('units that share a key, or a unit that does not allow it, run one after another', async () => {
    const shared = steps(group(), 'B', [['a'], ['x', 'b'], ['x']]);
    await shared.done;
    expect(shared.log).toEqual(['write 0', 'read 0', 'write 1', 'read 1', 'write 2', 'read 2']);
    const without = steps(group(), 'C', [['a'], undefined, ['c']]);
    await without.done;
    expect(without.log).toEqual(['write 0', 'read 0', 'write 1', 'read 1', 'write 2', 'read 2']);
    expect(await codes('B')).toEqual(['B0', 'B1', 'B2']);
    expect(await codes('C')).toEqual(['C0', 'C1', 'C2']);
  });

  it('a unit failing after it wrote: nothing of the pass is kept, the group runs again one by one, the others commit and only it fails', async () => {
    const g = group();
    const runs = [0, 0, 0];
    const results = await Promise.allSettled([
      g.run(
        async (trx) => {
          runs[0]++;
          await dept(trx, 'D1');
        },
        { concurrentKeys: ['1'] },
      ),
      g.run(
        async (trx) => {
          runs[1]++;
          await dept(trx, 'D2');
          throw new Error('refused after writing');
        },
        { concurrentKeys: ['2'] },
      ),
      g.run(
        async (trx) => {
          runs[2]++;
          await dept(trx, 'D3');
          return trx.selectFrom('departments').select('code').where('code', 'like', 'D%').orderBy('code').execute();
        },
        { concurrentKeys: ['3'] },
      ),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/refused after writing/);
    // The third unit's answer is from the pass that committed, where D2 was undone to its savepoint.
    expect((results[2] as PromiseFulfilledResult<{ code: string }[]>).value.map((r) => r.code)).toEqual(['D1', 'D3']);
    expect(runs).toEqual([2, 2, 2]);
    expect(await codes('D')).toEqual(['D1', 'D3']);
    expect(g.committed).toEqual({ transactions: 1, units: 3 });
  });

  it('the code check-ins of a pass read what they need in one statement, each getting what it would alone', async () => {
    const now = new Date().toISOString();
    const user = (id: string) => ({ id, role: 'student' as const, username: id, name: `Student ${id}`, student_number: `N-${id}`, active: 1, created_at: now, updated_at: now });
    await db.insertInto('users').values(['r1', 'r2', 'r3', 'r4'].map(user)).execute();
    await db.insertInto('courses').values({ id: 'rc', code: 'RC', name: 'Read course', threshold_percent: 75, late_after_minutes: 10, created_at: now, updated_at: now }).execute();
    const session = (id: string, state: 'open' | 'closed') => ({ id, course_id: 'rc', kind: 'lecture' as const, starts_at: now, ends_at: now, state, policy: '{}', version: 1, created_at: now, updated_at: now });
    await db.insertInto('sessions').values([session('rs-held', 'closed'), session('rs', 'open')]).execute();
    await db.insertInto('enrollments').values(['r1', 'r2', 'r4'].map((id) => ({ course_id: 'rc', student_id: id, method: 'manual' as const, created_at: now }))).execute();
    const record = (id: string, sessionId: string, studentId: string, status: 'present' | 'late', browserId: string | null) => ({ ...recordRow(now, id, sessionId, studentId), status, browser_id: browserId });
    // r1 attended the held session late; r4 checked in to the open one from the phone r1 now uses.
    await db.insertInto('attendance_records').values([record('rec-1', 'rs-held', 'r1', 'late', null), record('rec-4', 'rs', 'r4', 'present', 'phone-1')]).execute();
    const input = (studentId: string, browserId: string | null): CheckinContextInput => ({ sessionId: 'rs', courseId: 'rc', studentId, browserId, student: true, attendance: true });
    // Enrolled with a figure and a shared phone; enrolled; not enrolled; no such user.
    const inputs = [input('r1', 'phone-1'), input('r2', null), input('r3', 'phone-2'), input('nobody', null)];
    const alone = [];
    for (const i of inputs) alone.push(await db.transaction().execute((trx) => checkinContext(trx, 'postgres', i)));
    expect(alone[0].fromBrowser.map((r) => r.id)).toEqual(['rec-4']);
    expect(alone[0].attendance).toMatchObject({ attended: 1, total: 1 });
    expect(alone[2].student).toMatchObject({ id: 'r3', enrolled: null });
    expect(alone[3].student).toBeUndefined();

    // What a pass of four units sends besides their own statements (its transaction, pipeline mode).
    const g = group();
    let before = statementsSent(db);
    await Promise.all(inputs.map((_, i) => g.run((trx) => sql`select 1`.execute(trx), { concurrentKeys: [`one-${i}`] })));
    const overhead = statementsSent(db) - before - inputs.length;

    const reads = group();
    before = statementsSent(db);
    const together = await Promise.all(inputs.map((i, k) => reads.run((trx) => checkinContext(trx, 'postgres', i), { concurrentKeys: [`read-${k}`] })));
    expect(reads.committed).toEqual({ transactions: 1, units: 4 });
    expect(statementsSent(db) - before - overhead).toBe(1);
    expect(together).toEqual(alone);
  });

  it('the device scans of a pass read in one statement, a repeated scan logged there, each getting what it would alone', async () => {
    const now = new Date().toISOString();
    await db.insertInto('users').values(['u1', 'u2', 'u3', 'u4'].map((id) => ({ id, role: 'student' as const, username: id, name: id, student_number: `N-${id}`, active: 1, created_at: now, updated_at: now }))).execute();
    await db.insertInto('courses').values({ id: 'uc', code: 'UC', name: 'Scan read course', threshold_percent: 75, late_after_minutes: 10, created_at: now, updated_at: now }).execute();
    await db.insertInto('sessions').values({ id: 'us', course_id: 'uc', kind: 'lecture', starts_at: now, ends_at: now, state: 'open', policy: '{}', version: 1, created_at: now, updated_at: now }).execute();
    await db.insertInto('enrollments').values(['u1', 'u2', 'u3'].map((id) => ({ course_id: 'uc', student_id: id, method: 'manual' as const, created_at: now }))).execute();
    await db.insertInto('devices').values({ id: 'ud', name: 'Gate', key_prefix: 'ud', key_hash: 'ud-hash', created_at: now }).execute();
    // u2 and u3 are recorded; u3's scan carries a scan_id delivered before; u4 is not enrolled.
    await db.insertInto('attendance_records').values([{ ...recordRow(now, 'ur-2', 'us', 'u2'), method: 'device' as const }, { ...recordRow(now, 'ur-3', 'us', 'u3'), method: 'device' as const }]).execute();
    await db.insertInto('device_scans').values({ id: 'uscan-old', device_id: 'ud', scan_id: 'dup', session_id: 'us', student_number: 'N-u3', scanned_at: now, created_at: now, record_id: 'ur-3' }).execute();
    const input = (studentNumber: string, scanId: string): CheckinContextInput => ({
      sessionId: 'us',
      courseId: 'uc',
      studentId: null,
      studentNumber,
      browserId: null,
      student: true,
      attendance: true,
      scan: { id: `scan-row-${scanId}`, device_id: 'ud', scan_id: scanId, session_id: 'us', student_number: studentNumber, scanned_at: now, created_at: now },
    });
    const inputs = (run: string) => [input('N-u1', `${run}-1`), input('N-u2', `${run}-2`), input('N-u3', 'dup'), input('N-u4', `${run}-4`), input('N-nobody', `${run}-5`)];
    const alone = [];
    for (const i of inputs('alone')) alone.push(await db.transaction().execute((trx) => checkinContext(trx, 'postgres', i)));
    expect(alone.map((c) => [c.student?.id ?? null, c.existing?.record.id ?? null, c.existing?.scanLogged ?? null, c.deviceActive])).toEqual([
      ['u1', null, null, true],
      ['u2', 'ur-2', true, true],
      ['u3', 'ur-3', false, true],
      ['u4', null, null, true],
      [null, null, null, true],
    ]);

    const g = group();
    let before = statementsSent(db);
    await Promise.all([0, 1, 2, 3, 4].map((i) => g.run((trx) => sql`select 1`.execute(trx), { concurrentKeys: [`one-${i}`] })));
    const overhead = statementsSent(db) - before - 5;

    const reads = group();
    before = statementsSent(db);
    const together = await Promise.all(inputs('together').map((i, k) => reads.run((trx) => checkinContext(trx, 'postgres', i), { concurrentKeys: [`scan-read-${k}`] })));
    expect(reads.committed).toEqual({ transactions: 1, units: 5 });
    expect(statementsSent(db) - before - overhead).toBe(1);
    expect(together).toEqual(alone);
    // u2's two scans are logged against its record, once each; the replayed scan_id was not logged again.
    const logged = await db.selectFrom('device_scans').select(['scan_id', 'record_id']).where('session_id', '=', 'us').orderBy('scan_id').execute();
    expect(logged).toEqual([
      { scan_id: 'alone-2', record_id: 'ur-2' },
      { scan_id: 'dup', record_id: 'ur-3' },
      { scan_id: 'together-2', record_id: 'ur-2' },
    ]);
  });

  it('the code check-ins of a pass write in one statement: a record, its audit and outbox event each, a record already there returned', async () => {
    const now = new Date().toISOString();
    await db.insertInto('users').values(['w1', 'w2', 'w3'].map((id) => ({ id, role: 'student' as const, username: id, name: id, active: 1, created_at: now, updated_at: now }))).execute();
    await db.insertInto('courses').values({ id: 'wc', code: 'WC', name: 'Write course', threshold_percent: 75, late_after_minutes: 10, created_at: now, updated_at: now }).execute();
    await db.insertInto('sessions').values({ id: 'ws', course_id: 'wc', kind: 'lecture', starts_at: now, ends_at: now, state: 'open', policy: '{}', version: 1, created_at: now, updated_at: now }).execute();
    const record = (id: string, studentId: string) => ({ ...recordRow(now, id, 'ws', studentId), flags: '["late-ish"]' });
    // w3 has a record already.
    await db.insertInto('attendance_records').values(record('wr-old', 'w3')).execute();
    const rows = (studentId: string) => ({
      record: record(`wr-${studentId}`, studentId),
      audit: { id: `wa-${studentId}`, at: now, actor_id: studentId, action: 'record.checked_in', entity: 'record', entity_id: `wr-${studentId}`, session_id: 'ws', student_id: studentId, before: null, after: '{}', reason: null },
      outbox: { events: [{ id: `we-${studentId}`, type: 'record.checked_in', order_key: `ws:${studentId}`, record_id: `wr-${studentId}`, payload: '{}', created_at: now }], deliveries: [] },
      scan: null,
    });
    const writes = group();
    const before = statementsSent(db);
    const results = await Promise.all(['w1', 'w2', 'w3'].map((id) => writes.run((trx) => insertCheckin(trx, 'postgres', rows(id)), { concurrentKeys: [`write-${id}`] })));
    expect(writes.committed).toEqual({ transactions: 1, units: 3 });
    // The pass's own statements (see the test above: its transaction and pipeline mode) and one write.
    const g = group();
    const marker = statementsSent(db);
    await Promise.all([0, 1, 2].map((i) => g.run((trx) => sql`select 1`.execute(trx), { concurrentKeys: [`one-${i}`] })));
    const overhead = statementsSent(db) - marker - 3;
    expect(marker - before - overhead).toBe(1);
    expect(results.map((r) => r.inserted)).toEqual([true, true, false]);
    expect(results[0].existing).toBeUndefined();
    expect(results[2].existing).toMatchObject({ id: 'wr-old', student_id: 'w3', flags: '["late-ish"]', version: 1 });
    const audits = await db.selectFrom('audit_events').select('id').where('session_id', '=', 'ws').orderBy('id').execute();
    expect(audits.map((a) => a.id)).toEqual(['wa-w1', 'wa-w2']);
    const events = await db.selectFrom('outbox_events').select(['id', 'record_id']).where('id', 'like', 'we-%').orderBy('id').execute();
    expect(events).toEqual([
      { id: 'we-w1', record_id: 'wr-w1' },
      { id: 'we-w2', record_id: 'wr-w2' },
    ]);
    const records = await db.selectFrom('attendance_records').selectAll().where('session_id', '=', 'ws').orderBy('id').execute();
    expect(records.map((r) => r.id)).toEqual(['wr-old', 'wr-w1', 'wr-w2']);
    expect(records[1]).toEqual(record('wr-w1', 'w1'));
  });

  it('the device scans of a pass write in one statement too: each scan logged against its record, new or already there; a scan_id delivered before logs nothing', async () => {
    const now = new Date().toISOString();
    await db.insertInto('users').values(['v1', 'v2', 'v3', 'v4'].map((id) => ({ id, role: 'student' as const, username: id, name: id, student_number: `N-${id}`, active: 1, created_at: now, updated_at: now }))).execute();
    await db.insertInto('courses').values({ id: 'vc', code: 'VC', name: 'Scan course', threshold_percent: 75, late_after_minutes: 10, created_at: now, updated_at: now }).execute();
    await db.insertInto('sessions').values({ id: 'vs', course_id: 'vc', kind: 'lecture', starts_at: now, ends_at: now, state: 'open', policy: '{}', version: 1, created_at: now, updated_at: now }).execute();
    await db.insertInto('devices').values({ id: 'vd', name: 'Door', key_prefix: 'vd', key_hash: 'vd-hash', created_at: now }).execute();
    const record = (id: string, studentId: string) => ({ ...recordRow(now, id, 'vs', studentId), method: 'device' as const });
    // v3 has a record already; v4 too, and the scan_id its scan carries was delivered before.
    await db.insertInto('attendance_records').values([record('vr-old3', 'v3'), record('vr-old4', 'v4')]).execute();
    await db.insertInto('device_scans').values({ id: 'vscan-old', device_id: 'vd', scan_id: 'scan-v4', session_id: 'vs', student_number: 'N-v4', scanned_at: now, created_at: now, record_id: 'vr-old4' }).execute();
    const rows = (studentId: string) => ({
      record: record(`vr-${studentId}`, studentId),
      audit: { id: `va-${studentId}`, at: now, actor_id: null, action: 'record.checked_in', entity: 'record', entity_id: `vr-${studentId}`, session_id: 'vs', student_id: studentId, before: null, after: '{}', reason: null },
      outbox: { events: [{ id: `ve-${studentId}`, type: 'record.created', order_key: 'vs', record_id: `vr-${studentId}`, payload: '{}', created_at: now }], deliveries: [] },
      scan: { id: `vscan-${studentId}`, device_id: 'vd', scan_id: `scan-${studentId}`, session_id: 'vs', student_number: `N-${studentId}`, scanned_at: now, created_at: now },
    });
    const students = ['v1', 'v2', 'v3', 'v4'];
    const writes = group();
    const before = statementsSent(db);
    const results = await Promise.all(students.map((id) => writes.run((trx) => insertCheckin(trx, 'postgres', rows(id)), { concurrentKeys: [`scan-${id}`] })));
    expect(writes.committed).toEqual({ transactions: 1, units: 4 });
    const g = group();
    const marker = statementsSent(db);
    await Promise.all(students.map((_, i) => g.run((trx) => sql`select 1`.execute(trx), { concurrentKeys: [`one-${i}`] })));
    const overhead = statementsSent(db) - marker - students.length;
    expect(marker - before - overhead).toBe(1);
    expect(results.map((r) => [r.inserted, r.existing?.id ?? null, r.scanLogged])).toEqual([
      [true, null, true],
      [true, null, true],
      [false, 'vr-old3', true],
      [false, 'vr-old4', false],
    ]);
    const scans = await db.selectFrom('device_scans').select(['id', 'scan_id', 'record_id']).where('session_id', '=', 'vs').orderBy('id').execute();
    expect(scans).toEqual([
      { id: 'vscan-old', scan_id: 'scan-v4', record_id: 'vr-old4' },
      { id: 'vscan-v1', scan_id: 'scan-v1', record_id: 'vr-v1' },
      { id: 'vscan-v2', scan_id: 'scan-v2', record_id: 'vr-v2' },
      { id: 'vscan-v3', scan_id: 'scan-v3', record_id: 'vr-old3' },
    ]);
    const audits = await db.selectFrom('audit_events').select('id').where('session_id', '=', 'vs').orderBy('id').execute();
    expect(audits.map((a) => a.id)).toEqual(['va-v1', 'va-v2']);
  });

  describe('the COMMIT with the merged write', () => {
    const now = new Date().toISOString();
    const rows = (sessionId: string, studentId: string) => ({
      record: recordRow(now, `cr-${studentId}`, sessionId, studentId),
      audit: { id: `ca-${studentId}`, at: now, actor_id: studentId, action: 'record.checked_in', entity: 'record', entity_id: `cr-${studentId}`, session_id: sessionId, student_id: studentId, before: null, after: '{}', reason: null },
      outbox: { events: [{ id: `ce-${studentId}`, type: 'record.checked_in', order_key: `${sessionId}:${studentId}`, record_id: `cr-${studentId}`, payload: '{}', created_at: now }], deliveries: [] },
      scan: null,
    });
    const idleInTransaction = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`.execute(db)).rows[0].n;

    beforeAll(async () => {
      const students = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10', 'c11'];
      await db.insertInto('users').values(students.map((id) => ({ id, role: 'student' as const, username: id, name: id, active: 1, created_at: now, updated_at: now }))).execute();
      await db.insertInto('courses').values({ id: 'cc', code: 'CC', name: 'Commit course', threshold_percent: 75, late_after_minutes: 10, created_at: now, updated_at: now }).execute();
      await db.insertInto('sessions').values({ id: 'cs', course_id: 'cc', kind: 'lecture', starts_at: now, ends_at: now, state: 'open', policy: '{}', version: 1, created_at: now, updated_at: now }).execute();
    });

    /**
     * Check-ins as the record writer makes them: a unit that says its write is its last (`last`) and
     * finds that write wrote nothing (`needsMore`) asks for a transaction of its own.
     */
    function checkins(g: CommitGroup<Database>, units: { sessionId?: string; studentId: string; last: boolean; needsMore?: boolean }[]) {
      const runs = units.map(() => 0);
      const done = Promise.allSettled(
        units.map((u, i) =>
          g.run(
            async (trx) => {
              runs[i]++;
              const armed = u.last && (await commitWithNextStatement(trx));
              const written = await insertCheckin(trx, 'postgres', rows(u.sessionId ?? 'cs', u.studentId));
              if (armed && !written.inserted && u.needsMore) throw new NeedsOwnTransaction();
              return { armed, inserted: written.inserted };
            },
            { concurrentKeys: [`commit-${u.studentId}`] },
          ),
        ),
      );
      return { runs, done };
    }

    it('when every unit says its merged write is its last, the COMMIT goes with it: one round trip less, and committed', async () => {
      const plain = group();
      const before = statementsSent(db);
      await checkins(plain, [{ studentId: 'c1', last: false }, { studentId: 'c2', last: false }, { studentId: 'c3', last: false }]).done;
      const withCommit = group();
      const middle = statementsSent(db);
      const { runs, done } = checkins(withCommit, [{ studentId: 'c4', last: true }, { studentId: 'c5', last: true }, { studentId: 'c6', last: true }]);
      const results = await done;
      expect(middle - before - (statementsSent(db) - middle)).toBe(1);
      expect(results.map((r) => r.status === 'fulfilled' && r.value)).toEqual([0, 1, 2].map(() => ({ armed: true, inserted: true })));
      expect(runs).toEqual([1, 1, 1]);
      expect(withCommit.committed).toEqual({ transactions: 1, units: 3 });
      expect(await idleInTransaction()).toBe(0);
      const stored = await db.selectFrom('attendance_records').select('id').where('id', 'in', ['cr-c4', 'cr-c5', 'cr-c6']).execute();
      expect(stored).toHaveLength(3);
    });

    it('a unit that does not say so: the pass commits on its own, as before', async () => {
      const g = group();
      const before = statementsSent(db);
      const { done } = checkins(g, [{ studentId: 'c7', last: true }, { studentId: 'c8', last: false }]);
      await done;
      const g2 = group();
      const middle = statementsSent(db);
      await checkins(g2, [{ studentId: 'c9', last: false }, { studentId: 'c10', last: false }]).done;
      expect(middle - before).toBe(statementsSent(db) - middle);
      expect(await idleInTransaction()).toBe(0);
    });

    it('a unit whose write, committed with the others, wrote nothing and that needs more runs again alone; the others stay committed', async () => {
      // c1 has its record from the first test.
      const g = group();
      const { runs, done } = checkins(g, [{ studentId: 'c11', last: true }, { studentId: 'c1', last: true, needsMore: true }]);
      const results = await done;
      expect(results.map((r) => r.status === 'fulfilled' && r.value)).toEqual([
        { armed: true, inserted: true },
        // Run again in a transaction of its own, where its write takes no COMMIT along.
        { armed: false, inserted: false },
      ]);
      expect(runs).toEqual([1, 2]);
      expect(g.committed).toEqual({ transactions: 2, units: 3 });
      expect(await db.selectFrom('attendance_records').select('id').where('id', '=', 'cr-c11').executeTakeFirst()).toBeDefined();
      expect(await idleInTransaction()).toBe(0);
    });

    it('the merged write failing with the COMMIT behind it keeps nothing; the group runs again one by one and only the failing unit fails', async () => {
      const g = group();
      await db.insertInto('users').values(['cf1', 'cf2'].map((id) => ({ id, role: 'student' as const, username: id, name: id, active: 1, created_at: now, updated_at: now }))).execute();
      // No such session: its record's foreign key fails the whole merged statement.
      const { runs, done } = checkins(g, [{ studentId: 'cf1', last: true }, { sessionId: 'no-such-session', studentId: 'cf2', last: true }]);
      const results = await done;
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
      expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/foreign key/);
      expect(runs).toEqual([2, 2]);
      expect(await db.selectFrom('attendance_records').select('id').where('id', 'in', ['cr-cf1', 'cr-cf2']).execute()).toEqual([{ id: 'cr-cf1' }]);
      expect(await idleInTransaction()).toBe(0);
    });
  });

  it('a statement failing (a duplicate key aborts the transaction) fails only its unit; the connection is left idle and serves what comes next', async () => {
    await dept(db, 'E0');
    const g = group();
    const results = await Promise.allSettled(['E1', 'E0', 'E2'].map((code) => g.run((trx) => dept(trx, code), { concurrentKeys: [code] })));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/duplicate key/);
    expect(await codes('E')).toEqual(['E0', 'E1', 'E2']);
    const open = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`.execute(db);
    expect(open.rows[0].n).toBe(0);
    // The one connection serves a plain transaction and the next concurrent group as before.
    await db.transaction().execute(async (trx) => {
      await dept(trx, 'E3');
      await dept(trx, 'E4');
    });
    const next = steps(group(), 'F', [['a'], ['b']]);
    await next.done;
    expect(next.log).toEqual(['write 0', 'write 1', 'read 0', 'read 1']);
    expect(await codes('E')).toEqual(['E0', 'E1', 'E2', 'E3', 'E4']);
  });
});
