import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { newId, nowIso } from '../server/lib/ids.js';
import { withRecordWriter, writeRecords } from '../server/modules/attendance/record-writer.js';
import { closeOpenSession } from '../server/modules/live-sessions/live-sessions.repository.js';
import { buildClassroom, openWithCode, scheduleSession } from './support/classroom.js';
import { describeEachDialect } from './support/test-app.js';

// Check-ins arriving together share one transaction (server/db/commit-group.ts; on PostgreSQL in a
// few lanes at once), each in its own savepoint: these check that each is still all-or-nothing with
// its audit event, and that duplicates and a close racing the check-ins lose nothing and add nothing.

describeEachDialect('grouped check-in transactions', (ctx) => {
  it('many check-ins at once, each student twice: one record and one audit event per student', async () => {
    const room = await buildClassroom(ctx(), 40);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    const send = (token: string | undefined) => ctx().request({ method: 'POST', url: '/api/checkin', token, payload: { code } });
    const responses = await Promise.all(room.students.flatMap((s) => [send(s.token), send(s.token)]));
    const byStudent = new Map<string, number[]>();
    for (const r of responses) {
      expect([200, 201], r.body).toContain(r.statusCode);
      const id = r.json().record.studentId as string;
      byStudent.set(id, [...(byStudent.get(id) ?? []), r.statusCode].sort());
    }
    expect([...byStudent.values()]).toEqual(room.students.map(() => [200, 201]));
    const records = await ctx().db.selectFrom('attendance_records').select(['id', 'student_id']).where('session_id', '=', sessionId).execute();
    expect(records).toHaveLength(40);
    const audits = await ctx().db.selectFrom('audit_events').select('entity_id').where('session_id', '=', sessionId).where('action', '=', 'record.checked_in').execute();
    expect(audits.map((a) => a.entity_id).sort()).toEqual(records.map((r) => r.id).sort());
  });

  it('a close racing the check-ins: each one either made its record (and audit event) or was refused, none half', async () => {
    const room = await buildClassroom(ctx(), 40);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    const checkins = room.students.map((s) => ctx().request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code } }));
    const close = ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
    const [closed, ...responses] = await Promise.all([close, ...checkins]);
    expect(closed.statusCode, closed.body).toBe(200);
    const created = responses.filter((r) => r.statusCode === 201);
    for (const r of responses) {
      expect([201, 409], r.body).toContain(r.statusCode);
      if (r.statusCode === 409) expect(r.json().code).toBe('session_not_open');
    }
    const records = await ctx().db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).execute();
    // Everyone has exactly one record: their check-in, or the close's automatic absence.
    expect(records).toHaveLength(40);
    const checkedIn = records.filter((r) => r.method === 'code');
    expect(checkedIn.map((r) => r.id).sort()).toEqual(created.map((r) => r.json().record.id).sort());
    expect(records.filter((r) => r.method === 'auto').every((r) => r.status === 'absent')).toBe(true);
    const audits = await ctx().db.selectFrom('audit_events').select('entity_id').where('session_id', '=', sessionId).where('action', '=', 'record.checked_in').execute();
    expect(audits.map((a) => a.entity_id).sort()).toEqual(checkedIn.map((r) => r.id).sort());
  });

  it('check-ins that wait for a close in progress are refused: no record in the closed session, the close\'s absences left as they were', async () => {
    // More check-ins than PostgreSQL has lanes, so that some share a transaction (and take the grouped path).
    const room = await buildClassroom(ctx(), 12);
    const withAbsence = room.students.slice(0, 6);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    // A close caught between its state change and its commit: the session is closed and half the
    // students have the close's automatic absence (the others none, as if they had enrolled after the
    // close read the roster).
    const close = withRecordWriter(ctx().app, async (w) => {
      expect(await closeOpenSession(w.trx, sessionId, nowIso())).toBeDefined();
      const now = nowIso();
      await w.trx
        .insertInto('attendance_records')
        .values(withAbsence.map((s) => ({ id: newId(), session_id: sessionId, student_id: s.id, status: 'absent' as const, state: 'confirmed' as const, method: 'auto' as const, checked_in_at: null, updated_at: now, updated_by: null, note: null, flags: '[]', browser_id: null, version: 1 })))
        .execute();
      entered();
      await held;
    });
    await inside;
    const checkins = room.students.map((s) => ctx().request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code } }));
    if (ctx().dialect === 'postgres') {
      // The check-ins reach the session's row (their read share-locks it) and wait there for the close.
      await expect
        .poll(async () => Number((await sql<{ n: number }>`select count(*)::int as n from pg_locks where not granted`.execute(ctx().db)).rows[0].n), { timeout: 10_000 })
        .toBeGreaterThan(0);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await close;
    for (const r of await Promise.all(checkins)) {
      expect(r.statusCode, r.body).toBe(409);
      expect(r.json().code).toBe('session_not_open');
    }
    const records = await ctx().db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).execute();
    expect(records.map((r) => r.student_id).sort()).toEqual(withAbsence.map((s) => s.id).sort());
    expect(records.every((r) => r.status === 'absent' && r.method === 'auto' && r.version === 1 && r.checked_in_at === null)).toBe(true);
    const audits = await ctx().db.selectFrom('audit_events').select('action').where('session_id', '=', sessionId).where('entity', '=', 'record').execute();
    expect(audits).toEqual([]);
  });

  it('check-ins from one browser arriving together in one group are flagged shared-device, as when they come one after another', async () => {
    // Eight at once: on PostgreSQL four lanes take two each, on SQLite one group takes all eight.
    // Each pair shares a browser; a pair in one group must not run side by side (the concurrent
    // pass on PostgreSQL), or neither would see the other's record.
    const room = await buildClassroom(ctx(), 8);
    const sessionId = await scheduleSession(ctx(), room);
    await openWithCode(ctx(), room, sessionId);
    const session = { id: sessionId, courseId: room.courseId, courseCode: room.courseCode };
    const results = await Promise.all(
      room.students.map((s, i) =>
        writeRecords(ctx().app, {
          type: 'checkin',
          session,
          student: { id: s.id, name: s.username, studentNumber: s.studentNumber },
          method: 'code',
          decision: { status: 'present', state: 'confirmed', flags: [] },
          browserId: `browser-${Math.floor(i / 2)}`,
          actorId: s.id,
        }),
      ),
    );
    expect(results.every((r) => r.record !== null)).toBe(true);
    const records = await ctx().db.selectFrom('attendance_records').select(['student_id', 'flags', 'browser_id']).where('session_id', '=', sessionId).execute();
    expect(records).toHaveLength(8);
    for (const r of records) expect(JSON.parse(r.flags), r.browser_id ?? '').toEqual(['shared-device']);
  });
});
