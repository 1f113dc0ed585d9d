// How many statements a check-in and a device scan send to the database (server/db/kysely.ts
// counts them): on PostgreSQL each is a round trip, and the check-in path's were cut (the session's
// state and the same-browser records in one read; the record, its audit event, its outbox rows and
// a scan's log row in one statement). Also the behaviour those combined statements must keep.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { hotQuery, preparedStatementName } from '../server/db/hot-query.js';
import { statementsSent, type Db } from '../server/db/kysely.js';
import { checkinContextBatchSql, checkinContextSql, writeContextQuery } from '../server/modules/attendance/records.repository.js';
import { buildClassroom, openWithCode, scheduleSession } from './support/classroom.js';
import { userWithToken } from './support/factories.js';
import { filteringNodes, postgresGenericPlan, sqlitePlan, sqlLiterals } from './support/query-plans.js';
import { describeEachDialect, type TestContext } from './support/test-app.js';

/**
 * Statements sent while `run` ran, the least over `times` runs: other work of the server (the
 * open-session cache's refresh, a live summary's count) only ever adds to a run, never takes away.
 */
async function fewestStatements(ctx: TestContext, times: number, run: (i: number) => Promise<void>): Promise<number> {
  let fewest = Infinity;
  for (let i = 0; i < times; i++) {
    const before = statementsSent(ctx.db);
    await run(i);
    fewest = Math.min(fewest, statementsSent(ctx.db) - before);
  }
  return fewest;
}

async function deviceRoom(ctx: TestContext, size: number) {
  const admin = await userWithToken(ctx, 'admin');
  const device = await ctx.request({ method: 'POST', url: '/api/devices', token: admin.token, payload: { name: 'Gate' } });
  expect(device.statusCode, device.body).toBe(201);
  const room = await buildClassroom(ctx, size, { loginStudents: 0 });
  const sessionId = await scheduleSession(ctx, room);
  await openWithCode(ctx, room, sessionId, { deviceId: device.json().device.id });
  const scan = (studentNumber: string, scanId: string) =>
    ctx.request({
      method: 'POST',
      url: '/api/attendance/scan',
      headers: { authorization: `Bearer ${device.json().apiKey}` },
      payload: { student_id: studentNumber, scan_id: scanId },
    });
  return { room, sessionId, scan, deviceId: device.json().device.id as string };
}

/**
 * Closes the session (the absent student gets the close's automatic absence, returned) and reopens
 * it: the student's next check-in or scan turns that absence into the arrival.
 */
async function closeAndReopen(ctx: TestContext, room: { teacherToken: string }, sessionId: string, absentId: string) {
  const closed = await ctx.request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
  expect(closed.statusCode, closed.body).toBe(200);
  const auto = await ctx.db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).where('student_id', '=', absentId).executeTakeFirstOrThrow();
  expect(auto).toMatchObject({ method: 'auto', status: 'absent' });
  const reopened = await ctx.request({ method: 'POST', url: `/api/sessions/${sessionId}/reopen`, token: room.teacherToken });
  expect(reopened.statusCode, reopened.body).toBe(200);
  return auto;
}

describeEachDialect('statements per check-in', (ctx, dialect) => {
  it('a code check-in from a returning phone: student (with the user access), the grouped transaction, one read, one write, the attendance figure', async () => {
    const room = await buildClassroom(ctx(), 6);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    const sent = await fewestStatements(ctx(), 6, async (i) => {
      const s = room.students[i];
      const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code }, headers: { cookie: `rb_bid=phone-of-student-${i}` } });
      expect(res.statusCode, res.body).toBe(201);
    });
    // SQLite: BEGIN, session state + same-browser records, the student + enrolment (which also
    // carries the user's role and active flag: no separate user read), the attendance figure,
    // record, audit, outbox, COMMIT — the reads inside the transaction, on its connection.
    // PostgreSQL: two round trips: [BEGIN + the session's state, same-browser records, the student
    // with their enrolment and access, the attendance figure: one statement written with the BEGIN],
    // [record + audit + outbox in one statement, written with the COMMIT]. (A check-in alone in its
    // transaction needs no savepoint and sends its COMMIT with the write; in a group the savepoint
    // goes with the statement and the group's one COMMIT follows.) Before: 12 on PostgreSQL (the
    // user read; a savepoint; state, browser records, record, audit and outbox each alone; a
    // warnings query), then 6 (the student read before and the attendance read after the
    // transaction, each its own commit; BEGIN alone), then 3 (COMMIT alone).
    expect(sent).toBe(dialect === 'postgres' ? 2 : 8);
  });

  it('the same student checking in again: answered from the record already there, in as many statements, nothing written', async () => {
    const room = await buildClassroom(ctx(), 4);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    const first = new Map<number, string>();
    for (let i = 0; i < 4; i++) {
      const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[i].token, payload: { code }, headers: { cookie: `rb_bid=phone-${i}` } });
      expect(res.statusCode, res.body).toBe(201);
      first.set(i, res.json().record.id);
    }
    const sent = await fewestStatements(ctx(), 4, async (i) => {
      const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[i].token, payload: { code }, headers: { cookie: `rb_bid=phone-${i}` } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ alreadyCheckedIn: true, record: { id: first.get(i), version: 1 } });
    });
    expect(sent).toBe(dialect === 'postgres' ? 2 : 7);
    const records = await ctx().db.selectFrom('attendance_records').select('id').where('session_id', '=', sessionId).execute();
    expect(records).toHaveLength(4);
    const audits = await ctx().db.selectFrom('audit_events').select('id').where('session_id', '=', sessionId).where('action', '=', 'record.checked_in').execute();
    expect(audits).toHaveLength(4);
    const events = await ctx().db.selectFrom('outbox_events').select('id').where('record_id', 'in', [...first.values()]).execute();
    expect(events).toHaveLength(4);
  });

  it('a code check-in after the session was reopened turns the automatic absence into the arrival, once (run again in a transaction of its own on PostgreSQL)', async () => {
    const room = await buildClassroom(ctx(), 2);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    const [present, absent] = room.students;
    expect((await ctx().request({ method: 'POST', url: '/api/checkin', token: present.token, payload: { code } })).statusCode).toBe(201);
    const auto = await closeAndReopen(ctx(), room, sessionId, absent.id);
    const current = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/code`, token: room.teacherToken });
    expect(current.statusCode, current.body).toBe(200);

    const before = statementsSent(ctx().db);
    const late = await ctx().request({ method: 'POST', url: '/api/checkin', token: absent.token, payload: { code: current.json().code } });
    const sent = statementsSent(ctx().db) - before;
    expect([200, 201], late.body).toContain(late.statusCode);
    expect(late.json().record).toMatchObject({ id: auto.id, studentId: absent.id, method: 'code', version: 2 });
    const rows = await ctx().db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).where('student_id', '=', absent.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: auto.id, method: 'code', version: 2 });
    const audits = await ctx().db.selectFrom('audit_events').select('action').where('entity_id', '=', auto.id).orderBy('at').orderBy('id').execute();
    expect(audits.map((a) => a.action)).toEqual(['record.auto_absent', 'record.checked_in']);
    if (dialect === 'postgres') {
      // [BEGIN + read], [write + COMMIT]: the write found the absence and wrote nothing; then again in
      // a transaction that ends the usual way: [BEGIN + read], write, the locking read, the update,
      // its audit and outbox rows, COMMIT (9 or more). Carrying on after the early COMMIT instead
      // would have sent at most 6, the last four outside any transaction.
      expect(sent).toBeGreaterThanOrEqual(9);
    }
  });

  it('device scans, of new students and again: the same statements, and no read of the scan log first', async () => {
    const { room, scan } = await deviceRoom(ctx(), 5);
    const first = await fewestStatements(ctx(), 5, async (i) => {
      const res = await scan(room.students[i].studentNumber!, `first-${i}`);
      expect(res.statusCode, res.body).toBe(201);
    });
    const again = await fewestStatements(ctx(), 5, async (i) => {
      const res = await scan(room.students[i].studentNumber!, `again-${i}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().duplicate).toBe(true);
    });
    // The device key is read by the first scan only: later scans take the device from the keys this
    // node accepted and check its revocation inside the transaction. In the transaction: session
    // state, the student by number with their enrolment, the device not revoked, then [PostgreSQL:
    // all of that is one read, sent with BEGIN, which also logs a repeated scan against the record
    // already there, so a repeat ends there; a new student: one statement for record + audit +
    // outbox + scan log, with the COMMIT | SQLite: the device, record, audit, outbox, scan log (new)
    // or record, existing record, scan log (again), COMMIT].
    // Before, on PostgreSQL: 12 for a new student (a savepoint; record, audit, outbox and scan log each
    // alone; a warnings query after the commit), 10 for a repeat (the record insert, a locking read of
    // the record and the scan log); then 7 and 7 (student and enrolment read before the transaction,
    // BEGIN alone); then 4 and 3 (the device key read before each scan); then 3 and 2 (a new
    // student's COMMIT on its own).
    expect(first).toBe(dialect === 'postgres' ? 2 : 10);
    expect(again).toBe(dialect === 'postgres' ? 2 : 9);
  });
});

describeEachDialect('combined check-in writes', (ctx, dialect) => {
  it('hot queries run as named prepared statements on PostgreSQL; one whose Parse failed is parsed again', async () => {
    const byCode = hotQuery((db: Db, code: string) => db.selectFrom('departments').select('code').where('code', '=', code));
    const missing = hotQuery((db: Db, id: string) => db.selectFrom('departments').select('code').where(sql.ref('no_such_column'), '=', id));
    await ctx().db.connection().execute(async (conn) => {
      expect((await byCode(conn, 'nope')).rows).toEqual([]);
      await expect(missing(conn, 'x')).rejects.toThrow(/no_such_column/);
      if (dialect !== 'postgres') return;
      const names = (await sql<{ name: string }>`select name from pg_prepared_statements`.execute(conn)).rows.map((r) => r.name);
      // byCode was parsed and kept under its name; the failed one was not kept, so it is parsed (and fails) again.
      const compiled = ctx().db.selectFrom('departments').select('code').where('code', '=', 'nope').compile().sql;
      expect(names).toContain(preparedStatementName(compiled));
      await expect(missing(conn, 'x')).rejects.toThrow(/no_such_column/);
      expect((await byCode(conn, 'still')).rows).toEqual([]);
    });
  });

  it('two check-ins of the same student at once, each alone in its transaction (on PostgreSQL each on its own lane, COMMIT with the write): one record, audited once, the other answered from it', async () => {
    const room = await buildClassroom(ctx(), 8);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    for (const s of room.students) {
      // Sent in the same turn: the commit group puts one in each of two lanes.
      const [a, b] = await Promise.all([0, 1].map(() => ctx().request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code } })));
      expect([a.statusCode, b.statusCode].sort(), a.body + b.body).toEqual([200, 201]);
      expect(a.json().record.id).toBe(b.json().record.id);
      expect((a.statusCode === 200 ? a : b).json()).toMatchObject({ alreadyCheckedIn: true });
    }
    const records = await ctx().db.selectFrom('attendance_records').select(['id', 'version']).where('session_id', '=', sessionId).execute();
    expect(records).toHaveLength(8);
    expect(records.every((r) => r.version === 1)).toBe(true);
    const audits = await ctx().db.selectFrom('audit_events').select('entity_id').where('session_id', '=', sessionId).where('action', '=', 'record.checked_in').execute();
    expect(audits.map((a) => a.entity_id).sort()).toEqual(records.map((r) => r.id).sort());
    const events = await ctx().db.selectFrom('outbox_events').select('record_id').where('record_id', 'in', records.map((r) => r.id)).execute();
    expect(events).toHaveLength(8);
  });

  it('a repeated scan logs its scan_id against the record already there; a replayed scan_id writes nothing', async () => {
    const { room, scan, deviceId } = await deviceRoom(ctx(), 2);
    const number = room.students[0].studentNumber!;
    const made = await scan(number, 'a');
    expect(made.statusCode, made.body).toBe(201);
    const again = await scan(number, 'b');
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ duplicate: true, record: { id: made.json().record.id } });
    const replay = await scan(number, 'b');
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.json().record.id).toBe(made.json().record.id);
    const logged = await ctx().db.selectFrom('device_scans').select(['scan_id', 'record_id']).where('device_id', '=', deviceId).orderBy('scan_id').execute();
    expect(logged).toEqual([
      { scan_id: 'a', record_id: made.json().record.id },
      { scan_id: 'b', record_id: made.json().record.id },
    ]);
  });

  it('a scan after the session was reopened turns the close\'s automatic absence into the arrival (audited once) and logs the scan', async () => {
    const { room, sessionId, scan, deviceId } = await deviceRoom(ctx(), 2);
    const [present, absent] = room.students;
    expect((await scan(present.studentNumber!, 'p1')).statusCode).toBe(201);
    const auto = await closeAndReopen(ctx(), room, sessionId, absent.id);

    const late = await scan(absent.studentNumber!, 'a1');
    // The absence gives way: an update of the record the close made, not a new one.
    expect([200, 201], late.body).toContain(late.statusCode);
    expect(late.json().record).toMatchObject({ id: auto.id, studentId: absent.id, method: 'device', version: 2 });
    expect(['present', 'late']).toContain(late.json().record.status);
    const audits = await ctx().db.selectFrom('audit_events').select('action').where('entity_id', '=', auto.id).orderBy('at').orderBy('id').execute();
    expect(audits.map((a) => a.action)).toEqual(['record.auto_absent', 'record.checked_in']);
    const logged = await ctx().db.selectFrom('device_scans').select('record_id').where('device_id', '=', deviceId).where('scan_id', '=', 'a1').execute();
    expect(logged).toEqual([{ record_id: auto.id }]);
  });
});

describeEachDialect('the check-in read on a new database', (ctx) => {
  it("finds the browser's other records in the session by the browser, not by walking the session's records", async () => {
    const room = await buildClassroom(ctx(), 60);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    // 59 students check in from phones of their own: the session has 59 records of 59 browsers.
    for (const [i, s] of room.students.slice(1).entries()) {
      const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code }, headers: { cookie: `rb_bid=lecture-phone-${i}` } });
      expect(res.statusCode, res.body).toBe(201);
    }
    const last = room.students[0];
    if (ctx().dialect === 'postgres') {
      // The statement as the server prepares it, planned as a reused prepared statement is (generic),
      // with the statistics of this new database: nothing has analysed the tables yet.
      const planOf = (scan: boolean, values: (string | boolean | null)[]) => postgresGenericPlan(ctx(), checkinContextSql(scan), sqlLiterals(values));
      const plain = await planOf(false, [sessionId, 'a-phone-never-seen', last.id, room.courseId, true, true]);
      const browserScan = plain.find((n) => n['Relation Name'] === 'attendance_records' && n.Alias === 'r');
      expect(browserScan).toMatchObject({ 'Index Name': 'attendance_records_browser_session_idx' });
      expect(browserScan!['Rows Removed by Filter'] ?? 0).toBe(0);
      // The same read for two check-ins of a group at once (checkinContextBatchSql), planned alike.
      const both = (a: string | boolean | null, b: string | boolean | null) => `array[${sqlLiterals([a, b])}]`;
      const batched = await postgresGenericPlan(
        ctx(),
        checkinContextBatchSql(),
        [both(sessionId, sessionId), `${both('a-phone-never-seen', 'lecture-phone-3')}::text[]`, both(last.id, room.students[1].id), both(room.courseId, room.courseId), both(true, true), both(true, true)].join(', '),
      );
      const batchedBrowserScan = batched.find((n) => n['Relation Name'] === 'attendance_records' && n.Alias === 'r');
      expect(batchedBrowserScan).toMatchObject({ 'Index Name': 'attendance_records_browser_session_idx' });
      expect(batched.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name'])).toEqual([]);
      expect(filteringNodes(batched)).toEqual([]);
      // The device-scan variant (no browser; a device that does not exist, so its scan-log insert inserts nothing).
      const now = new Date().toISOString();
      const scanPlan = await planOf(true, [sessionId, null, null, room.courseId, true, true, 'no-such-number', 'scan-row-id', 'no-such-device', 'scan-1', 'no-such-number', now, now]);
      // No node reads a table whole, and none walks more than a handful of rows it then filters away.
      expect(scanPlan.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name'])).toEqual([]);
      expect(filteringNodes(scanPlan)).toEqual([]);
    } else {
      const details = await sqlitePlan(ctx(), writeContextQuery(ctx().db, sessionId, 'a-phone-never-seen', last.id).compile());
      expect(details).toContainEqual(expect.stringContaining('attendance_records_browser_session_idx (browser_id=? AND session_id=?)'));
    }
  });
});
