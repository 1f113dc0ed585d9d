// SQLite's check-in writer thread (server/modules/attendance/writer-thread.ts) and the lock it shares
// with the server's own connection (server/db/sqlite-write-lock.ts): check-ins are written there and
// published by the server; the server's other writes get SQLite's one write lock between the thread's
// groups; a thread that stops loses no check-in and is started again.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteWriteLock } from '../server/db/sqlite-write-lock.js';
import { sqliteWriterSetup } from '../server/db/kysely.js';
import { buildClassroom, openWithCode, scheduleSession } from './support/classroom.js';
import { startTestApp, type TestContext } from './support/test-app.js';

const settledWithin = async (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), ms))]);

describe('the SQLite write lock between the server and the writer thread', () => {
  let worker: Worker;
  let lock: SqliteWriteLock;
  const replies: string[] = [];
  const next = () =>
    new Promise<string>((resolve) => {
      const check = () => (replies.length > 0 ? resolve(replies.shift()!) : setTimeout(check, 5));
      check();
    });

  beforeAll(() => {
    lock = new SqliteWriteLock();
    worker = new Worker(new URL('../server/lib/ts-worker.mjs', import.meta.url), {
      workerData: { lock: lock.buffer, entry: new URL('./support/write-lock-holder.worker.ts', import.meta.url).href },
    });
    worker.on('message', (m: string) => replies.push(m));
  });
  afterAll(async () => {
    await worker.terminate();
  });

  it('the server waits for the thread to end its transaction, then the thread waits for the server', async () => {
    worker.postMessage('acquire');
    expect(await next()).toBe('acquired');
    const loop = lock.acquireLoop(5000);
    expect(await settledWithin(loop, 100)).toBe(false);
    worker.postMessage('release');
    expect(await next()).toBe('released');
    expect(await settledWithin(loop, 1000)).toBe(true);
    // The server holds it: the thread's next transaction waits until the server is done.
    worker.postMessage('acquire');
    await new Promise((r) => setTimeout(r, 100));
    expect(replies).toEqual([]);
    lock.releaseLoop();
    expect(await next()).toBe('acquired');
    worker.postMessage('release');
    expect(await next()).toBe('released');
  });

  it('a thread that holds on past the deadline: the server gets SQLITE_BUSY (503) and does not keep the thread out', async () => {
    worker.postMessage('acquire');
    expect(await next()).toBe('acquired');
    await expect(lock.acquireLoop(50)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    worker.postMessage('release');
    expect(await next()).toBe('released');
    worker.postMessage('acquire');
    expect(await next()).toBe('acquired');
    worker.postMessage('release');
    expect(await next()).toBe('released');
  });
});

describe('check-ins on the writer thread [sqlite]', () => {
  let ctx: TestContext & { close(): Promise<void> };
  beforeAll(async () => {
    ctx = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const checkIn = (code: string, token: string | undefined) => ctx.request({ method: 'POST', url: '/api/checkin', token, payload: { code } });
  const mark = (token: string, sessionId: string, studentId: string) =>
    ctx.request({ method: 'PUT', url: `/api/sessions/${sessionId}/records/${studentId}`, token, payload: { status: 'present' } });
  const recordsOf = (sessionId: string) => ctx.db.selectFrom('attendance_records').select(['id', 'student_id', 'method']).where('session_id', '=', sessionId).execute();

  it('writes the check-ins there, each with its audit and outbox event, and the server answers and publishes them', async () => {
    const writer = ctx.app.checkinWriter!;
    expect(writer.running).toBe(true);
    const room = await buildClassroom(ctx, 30);
    const sessionId = await scheduleSession(ctx, room);
    const { code } = await openWithCode(ctx, room, sessionId);
    const published: string[] = [];
    const stop = ctx.app.attendanceChanged.on((e) => published.push(...e.studentIds));
    const before = writer.committed.units;
    const responses = await Promise.all(room.students.map((s) => checkIn(code, s.token)));
    stop();
    for (const r of responses) expect(r.statusCode, r.body).toBe(201);
    expect(writer.committed.units - before).toBe(30);
    const records = await recordsOf(sessionId);
    expect(records.map((r) => r.id).sort()).toEqual(responses.map((r) => r.json().record.id).sort());
    const audits = await ctx.db.selectFrom('audit_events').select('entity_id').where('session_id', '=', sessionId).where('action', '=', 'record.checked_in').execute();
    expect(audits.map((a) => a.entity_id).sort()).toEqual(records.map((r) => r.id).sort());
    const events = await ctx.db.selectFrom('outbox_events').select('record_id').where('record_id', 'in', records.map((r) => r.id)).execute();
    expect(events).toHaveLength(30);
    expect(published.sort()).toEqual(room.students.map((s) => s.id).sort());
    // An error made on the thread comes back as the same answer: a student not in the course.
    const stranger = await buildClassroom(ctx, 1);
    const refused = await checkIn(code, stranger.students[0].token);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().code).toBe('not_enrolled');
  });

  it("the server's own writes go between the thread's groups: roll-call marks during a stream of check-ins all land", async () => {
    const room = await buildClassroom(ctx, 120);
    const sessionId = await scheduleSession(ctx, room);
    const { code } = await openWithCode(ctx, room, sessionId);
    const [marked, checking] = [room.students.slice(0, 20), room.students.slice(20)];
    const responses = await Promise.all([
      ...checking.map((s) => checkIn(code, s.token)),
      ...marked.map((s) => mark(room.teacherToken, sessionId, s.id)),
    ]);
    for (const r of responses) expect([200, 201], r.body).toContain(r.statusCode);
    const records = await recordsOf(sessionId);
    expect(records).toHaveLength(120);
    expect(records.filter((r) => r.method === 'rollcall').map((r) => r.student_id).sort()).toEqual(marked.map((s) => s.id).sort());
  });

  it('a thread that stops: check-ins in flight are made or answered 503, none lost or doubled; the thread is started again', async () => {
    const writer = ctx.app.checkinWriter!;
    const room = await buildClassroom(ctx, 40);
    const sessionId = await scheduleSession(ctx, room);
    const { code } = await openWithCode(ctx, room, sessionId);
    const inFlight = room.students.map((s) => checkIn(code, s.token));
    await new Promise((r) => setImmediate(r));
    await writer.crash();
    const first = await Promise.all(inFlight);
    for (const r of first) {
      expect([201, 503], r.body).toContain(r.statusCode);
      if (r.statusCode === 503) expect(r.json().code).toBe('unavailable');
    }
    // The server's own writes are not locked out by the stopped thread.
    const late = await buildClassroom(ctx, 1);
    expect((await ctx.request({ method: 'POST', url: `/api/courses/${room.courseId}/enrollments`, token: room.teacherToken, payload: { studentIds: [late.students[0].id] } })).statusCode).toBe(200);
    // Whoever got 503 tries again: made now, or already made before the thread stopped.
    const retries = await Promise.all(room.students.filter((_, i) => first[i].statusCode === 503).map((s) => checkIn(code, s.token)));
    for (const r of retries) expect([200, 201], r.body).toContain(r.statusCode);
    const records = await recordsOf(sessionId);
    expect(records.map((r) => r.student_id).sort()).toEqual(room.students.map((s) => s.id).sort());
    const audits = await ctx.db.selectFrom('audit_events').select('entity_id').where('session_id', '=', sessionId).where('action', '=', 'record.checked_in').execute();
    expect(audits).toHaveLength(40);
    // Started again: the next check-ins are the thread's.
    await expect.poll(() => writer.running, { timeout: 5000 }).toBe(true);
    const again = await buildClassroom(ctx, 5);
    const next = await scheduleSession(ctx, again);
    const { code: nextCode } = await openWithCode(ctx, again, next);
    const before = writer.committed.units;
    for (const r of await Promise.all(again.students.map((s) => checkIn(nextCode, s.token)))) expect(r.statusCode, r.body).toBe(201);
    expect(writer.committed.units - before).toBe(5);
  });
});

describe('a check-in past its deadline on the writer thread [sqlite]', () => {
  let ctx: TestContext & { close(): Promise<void> };
  beforeAll(async () => {
    // The thread's deadline: twice the statement timeout, at least 1 s.
    ctx = await startTestApp('sqlite', { DB_STATEMENT_TIMEOUT_MS: '400' });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('is answered 503 while the server holds the write lock, then committed and still published; a retry is answered from it', async () => {
    const room = await buildClassroom(ctx, 6);
    const sessionId = await scheduleSession(ctx, room);
    const { code } = await openWithCode(ctx, room, sessionId);
    const published: string[] = [];
    const stop = ctx.app.attendanceChanged.on((e) => published.push(...e.studentIds));
    // The server takes SQLite's write lock (as its own transaction would, without holding its
    // connection): the thread's next group waits for it.
    const lock = sqliteWriterSetup(ctx.db)!.lock;
    await lock.acquireLoop(1000);
    const responses = await Promise.all(room.students.map((s) => ctx.request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code } })));
    for (const r of responses) {
      expect(r.statusCode, r.body).toBe(503);
      expect(r.json().code).toBe('unavailable');
    }
    lock.releaseLoop();
    await expect.poll(() => published.length, { timeout: 5000 }).toBe(6);
    stop();
    expect(published.sort()).toEqual(room.students.map((s) => s.id).sort());
    const records = await ctx.db.selectFrom('attendance_records').select('student_id').where('session_id', '=', sessionId).execute();
    expect(records).toHaveLength(6);
    const retry = await ctx.request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code } });
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json().alreadyCheckedIn).toBe(true);
  });
});
