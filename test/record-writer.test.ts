// Every write path of attendance records goes through the one write command: each change is one
// record change, one audit event and one outbox event, committed together (or not at all).
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildClassroom, openWithCode, scheduleSession, type Classroom } from './support/classroom.js';
import { userWithToken } from './support/factories.js';
import { describeEachDialect, type TestContext } from './support/test-app.js';
import { openAuthedSocket, wsUrlOf } from './support/ws-client.js';

interface Counts {
  records: number;
  versions: number;
  audits: number;
  outbox: number;
}

/** What a change leaves behind: records (and the sum of their versions), record audit events, outbox events. */
async function counts(ctx: TestContext, sessionId: string): Promise<Counts> {
  const db = ctx.db;
  const r = await db
    .selectFrom('attendance_records')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.coalesce(eb.fn.sum<number>('version'), eb.lit(0)).as('v')])
    .where('session_id', '=', sessionId)
    .executeTakeFirstOrThrow();
  const a = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('session_id', '=', sessionId)
    .where('entity', '=', 'record')
    .executeTakeFirstOrThrow();
  const o = await db
    .selectFrom('outbox_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('order_key', '=', sessionId)
    .where('type', 'like', 'record.%')
    .executeTakeFirstOrThrow();
  return { records: Number(r.n), versions: Number(r.v), audits: Number(a.n), outbox: Number(o.n) };
}

/** Runs `change` and expects exactly one record created (or changed, or deleted), one audit event and one outbox event. */
async function expectOneChange(ctx: TestContext, sessionId: string, kind: 'created' | 'updated' | 'deleted', change: () => Promise<unknown>) {
  const before = await counts(ctx, sessionId);
  await change();
  const after = await counts(ctx, sessionId);
  expect(after.audits - before.audits, 'audit events').toBe(1);
  expect(after.outbox - before.outbox, 'outbox events').toBe(1);
  if (kind === 'created') expect(after.records - before.records).toBe(1);
  if (kind === 'deleted') expect(after.records - before.records).toBe(-1);
  if (kind === 'updated') {
    expect(after.records).toBe(before.records);
    expect(after.versions - before.versions).toBe(1);
  }
}

async function registerDevice(ctx: TestContext, adminToken: string) {
  const res = await ctx.request({ method: 'POST', url: '/api/devices', token: adminToken, payload: { name: 'Kiosk' } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { device: { id: string }; apiKey: string };
}

/**
 * Makes every outbox insert fail from now on (a fault after the record and audit rows are written),
 * or only the outbox events about one student (their id is in the payload), as a unique-key conflict.
 */
async function breakOutbox(ctx: TestContext, studentId?: string) {
  // Ids are [0-9a-z] (newId): safe inside the trigger's text.
  const about = studentId && /^[0-9a-z]+$/.test(studentId) ? studentId : null;
  if (ctx.dialect === 'sqlite') {
    const when = about ? `when new.payload like '%${about}%'` : '';
    await sql.raw(`create trigger fail_outbox before insert on outbox_events ${when} begin select raise(abort, 'injected failure'); end`).execute(ctx.db);
  } else {
    const test = about ? `new.payload like '%${about}%'` : 'true';
    await sql
      .raw(`create function fail_outbox() returns trigger language plpgsql as $$ begin if ${test} then raise exception 'injected failure' using errcode = 'unique_violation'; end if; return new; end $$`)
      .execute(ctx.db);
    await sql`create trigger fail_outbox before insert on outbox_events for each row execute function fail_outbox()`.execute(ctx.db);
  }
}

async function repairOutbox(ctx: TestContext) {
  if (ctx.dialect === 'sqlite') await sql`drop trigger fail_outbox`.execute(ctx.db);
  else {
    await sql`drop trigger fail_outbox on outbox_events`.execute(ctx.db);
    await sql`drop function fail_outbox()`.execute(ctx.db);
  }
}

describeEachDialect('the record write command', (ctx) => {
  let adminToken: string;
  beforeAll(async () => {
    adminToken = (await userWithToken(ctx(), 'admin')).token;
    await ctx().app.listen({ port: 0, host: '127.0.0.1' });
  });

  async function openRoom(size: number, policy: Record<string, unknown> = {}): Promise<{ room: Classroom; sessionId: string; code: { code: string; url: string } }> {
    const room = await buildClassroom(ctx(), size);
    const sessionId = await scheduleSession(ctx(), room);
    const code = await openWithCode(ctx(), room, sessionId, policy);
    return { room, sessionId, code };
  }

  it('code, QR and link check-ins: one record, one audit event, one outbox event each', async () => {
    const { room, sessionId, code } = await openRoom(3, { methods: ['code', 'qr', 'link', 'rollcall'] });
    await expectOneChange(ctx(), sessionId, 'created', async () => {
      const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: code.code } });
      expect(res.statusCode, res.body).toBe(201);
    });
    const token = new URL(code.url).searchParams.get('t')!;
    await expectOneChange(ctx(), sessionId, 'created', async () => {
      const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[1].token, payload: { code: token, sessionId } });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().record.method).toBe('qr');
    });
    await expectOneChange(ctx(), sessionId, 'created', async () => {
      const s = room.students[2];
      const { name } = await ctx().db.selectFrom('users').select('name').where('id', '=', s.id).executeTakeFirstOrThrow();
      const res = await ctx().request({
        method: 'POST',
        url: `/api/sessions/${sessionId}/checkin/link`,
        payload: { code: code.code, studentNumber: s.studentNumber, name },
      });
      expect(res.statusCode, res.body).toBe(201);
    });
    // A repeated check-in changes nothing and writes nothing.
    const before = await counts(ctx(), sessionId);
    const again = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: code.code } });
    expect(again.statusCode).toBe(200);
    expect(await counts(ctx(), sessionId)).toEqual(before);
  });

  it('a link self-enrolment creates the student, the enrollment and the record in one transaction', async () => {
    const { sessionId, code } = await openRoom(0, { methods: ['code', 'link'], allowSelfEnroll: true });
    await expectOneChange(ctx(), sessionId, 'created', async () => {
      const res = await ctx().request({
        method: 'POST',
        url: `/api/sessions/${sessionId}/checkin/link`,
        payload: { code: code.code, studentNumber: 'NEW-4711', name: 'Nova Newcomer' },
      });
      expect(res.statusCode, res.body).toBe(201);
    });
    const user = await ctx().db.selectFrom('users').select('id').where('student_number', '=', 'NEW-4711').executeTakeFirstOrThrow();
    const enrolled = await ctx().db.selectFrom('enrollments').select('method').where('student_id', '=', user.id).executeTakeFirstOrThrow();
    expect(enrolled.method).toBe('link');
  });

  it('roll call over HTTP and over the socket, a teacher edit, confirm and delete: one of each per change', async () => {
    const { room, sessionId, code } = await openRoom(3, { requireApproval: true });
    await expectOneChange(ctx(), sessionId, 'created', async () => {
      const res = await ctx().request({ method: 'PUT', url: `/api/sessions/${sessionId}/records/${room.students[0].id}`, token: room.teacherToken, payload: { status: 'present' } });
      expect(res.statusCode, res.body).toBe(200);
    });
    await expectOneChange(ctx(), sessionId, 'updated', async () => {
      const res = await ctx().request({
        method: 'PUT',
        url: `/api/sessions/${sessionId}/records/${room.students[0].id}`,
        token: room.teacherToken,
        payload: { status: 'late', note: 'bus was late' },
      });
      expect(res.statusCode, res.body).toBe(200);
    });
    const teacher = await openAuthedSocket(wsUrlOf(ctx().app), room.teacherToken);
    try {
      await expectOneChange(ctx(), sessionId, 'created', async () => {
        const ack = await teacher.request('ATTENDANCE_MARKED', { sessionId, studentId: room.students[1].id, status: 'absent' });
        expect(ack.event).toBe('ACK');
      });
    } finally {
      teacher.close();
    }
    // A pending self check-in, then its confirmation.
    await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[2].token, payload: { code: code.code } });
    await expectOneChange(ctx(), sessionId, 'updated', async () => {
      const res = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/records/${room.students[2].id}/confirm`, token: room.teacherToken });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().record.state).toBe('confirmed');
    });
    await expectOneChange(ctx(), sessionId, 'deleted', async () => {
      const res = await ctx().request({ method: 'DELETE', url: `/api/sessions/${sessionId}/records/${room.students[1].id}`, token: adminToken });
      expect(res.statusCode, res.body).toBe(204);
    });
    const deleted = await ctx().db.selectFrom('outbox_events').select(['type', 'payload']).where('order_key', '=', sessionId).where('type', '=', 'record.deleted').execute();
    expect(deleted).toHaveLength(1);
    expect(JSON.parse(deleted[0].payload)).toMatchObject({ record: { studentId: room.students[1].id, student: { id: room.students[1].id }, course: { id: room.courseId, code: room.courseCode } } });
  });

  it('a device scan writes the record, its audit, its outbox event and the scan log together; a replay writes nothing', async () => {
    const room = await buildClassroom(ctx(), 1);
    const { device, apiKey } = await registerDevice(ctx(), adminToken);
    const sessionId = await scheduleSession(ctx(), room);
    await openWithCode(ctx(), room, sessionId, { deviceId: device.id });
    const scan = () =>
      ctx().request({
        method: 'POST',
        url: '/api/attendance/scan',
        headers: { authorization: `Bearer ${apiKey}` },
        payload: { student_id: room.students[0].studentNumber, scan_id: 'gate-1' },
      });
    await expectOneChange(ctx(), sessionId, 'created', async () => expect((await scan()).statusCode).toBe(201));
    const before = await counts(ctx(), sessionId);
    const replay = await scan();
    expect(replay.statusCode).toBe(200);
    expect(replay.json().duplicate).toBe(true);
    expect(await counts(ctx(), sessionId)).toEqual(before);
    const scans = await ctx().db.selectFrom('device_scans').select('record_id').where('device_id', '=', device.id).execute();
    expect(scans).toHaveLength(1);
  });

  it('the close writes one absent record, one audit event and one outbox event per unrecorded student, with the session event', async () => {
    const { room, sessionId, code } = await openRoom(4);
    await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: code.code } });
    const before = await counts(ctx(), sessionId);
    const res = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
    expect(res.statusCode, res.body).toBe(200);
    const after = await counts(ctx(), sessionId);
    expect(after.records - before.records).toBe(3);
    expect(after.audits - before.audits).toBe(3);
    expect(after.outbox - before.outbox).toBe(3);
    const types = (await ctx().db.selectFrom('outbox_events').select('type').where('order_key', '=', sessionId).orderBy('id').execute()).map((r) => r.type);
    expect(types[0]).toBe('session.opened');
    expect(types).toContain('session.closed');
  });

  it('a failure after the record is written leaves no record, no audit event and no outbox event', async () => {
    const { room, sessionId, code } = await openRoom(2);
    await breakOutbox(ctx());
    try {
      const before = await counts(ctx(), sessionId);
      const checkin = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: code.code } });
      expect(checkin.statusCode).toBeGreaterThanOrEqual(500);
      const mark = await ctx().request({ method: 'PUT', url: `/api/sessions/${sessionId}/records/${room.students[1].id}`, token: room.teacherToken, payload: { status: 'present' } });
      expect(mark.statusCode).toBeGreaterThanOrEqual(500);
      const close = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
      expect(close.statusCode).toBeGreaterThanOrEqual(500);
      expect(await counts(ctx(), sessionId)).toEqual(before);
      const state = await ctx().db.selectFrom('sessions').select('state').where('id', '=', sessionId).executeTakeFirstOrThrow();
      expect(state.state).toBe('open');
    } finally {
      await repairOutbox(ctx());
    }
    // Repaired: the same check-in goes through, whole.
    await expectOneChange(ctx(), sessionId, 'created', async () => {
      const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: code.code } });
      expect(res.statusCode, res.body).toBe(201);
    });
  });

  it('a conflict inside one check-in\'s write undoes its record, audit event and outbox rows together; the check-ins committed with it keep theirs', async () => {
    const { room, sessionId, code } = await openRoom(8);
    const [victim, ...others] = room.students;
    // A webhook on every event: each check-in also writes a delivery (on PostgreSQL in the same statement as the record).
    const hook = await ctx().request({ method: 'POST', url: '/api/webhooks', token: adminToken, payload: { url: 'https://portal.example.edu/hooks/rollbook', events: ['*'] } });
    expect(hook.statusCode, hook.body).toBe(201);
    await breakOutbox(ctx(), victim.id);
    try {
      const before = await counts(ctx(), sessionId);
      // Sent together, so they share grouped transactions: the failing one is undone alone.
      const responses = await Promise.all(
        room.students.map((s) => ctx().request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code: code.code } })),
      );
      expect(responses[0].statusCode).toBeGreaterThanOrEqual(500);
      for (const r of responses.slice(1)) expect(r.statusCode, r.body).toBe(201);
      const after = await counts(ctx(), sessionId);
      expect(after.records - before.records).toBe(others.length);
      expect(after.audits - before.audits).toBe(others.length);
      expect(after.outbox - before.outbox).toBe(others.length);
      const db = ctx().db;
      expect(await db.selectFrom('attendance_records').select('id').where('session_id', '=', sessionId).where('student_id', '=', victim.id).execute()).toEqual([]);
      expect(await db.selectFrom('audit_events').select('id').where('session_id', '=', sessionId).where('student_id', '=', victim.id).execute()).toEqual([]);
      const deliveries = await db
        .selectFrom('webhook_deliveries')
        .innerJoin('outbox_events', 'outbox_events.id', 'webhook_deliveries.event_id')
        .select('outbox_events.record_id')
        .where('outbox_events.order_key', '=', sessionId)
        .where('outbox_events.type', '=', 'record.created')
        .execute();
      const made = responses.slice(1).map((r) => r.json().record.id as string);
      expect(deliveries.map((d) => d.record_id).sort()).toEqual([...made].sort());
    } finally {
      await repairOutbox(ctx());
      const removed = await ctx().request({ method: 'DELETE', url: `/api/webhooks/${hook.json().webhook.id}`, token: adminToken });
      expect(removed.statusCode, removed.body).toBe(204);
    }
    // Repaired: the victim's check-in goes through, whole.
    await expectOneChange(ctx(), sessionId, 'created', async () => {
      const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: victim.token, payload: { code: code.code } });
      expect(res.statusCode, res.body).toBe(201);
    });
  });

  it('publishes the student their own record live on user:<id>, and session events to enrolled students', async () => {
    const room = await buildClassroom(ctx(), 1);
    const sessionId = await scheduleSession(ctx(), room);
    const student = await openAuthedSocket(wsUrlOf(ctx().app), room.students[0].token!);
    try {
      await student.subscribe(`user:${room.students[0].id}`);
      const opened = student.next((m) => m.event === 'SESSION_OPENED', 'SESSION_OPENED');
      await openWithCode(ctx(), room, sessionId);
      expect(await opened).toMatchObject({ data: { session: { id: sessionId, state: 'open' } } });
      const mine = student.next((m) => m.event === 'MY_ATTENDANCE', 'MY_ATTENDANCE');
      await ctx().request({ method: 'PUT', url: `/api/sessions/${sessionId}/records/${room.students[0].id}`, token: room.teacherToken, payload: { status: 'late' } });
      expect(await mine).toMatchObject({ data: { sessionId, record: { studentId: room.students[0].id, status: 'late' } } });
      const closed = student.next((m) => m.event === 'SESSION_CLOSED', 'SESSION_CLOSED');
      await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
      expect(await closed).toMatchObject({ data: { session: { id: sessionId, state: 'closed' } } });
    } finally {
      student.close();
    }
  });
});

describe('no other code writes attendance records', () => {
  it('only repositories behind the write command touch attendance_records', async () => {
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const path = await import('node:path');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (statSync(file).isDirectory()) walk(file);
        else if (file.endsWith('.ts')) {
          const text = readFileSync(file, 'utf8');
          if (/(insertInto|updateTable|deleteFrom)\(\s*'attendance_records'/.test(text) && !file.endsWith(path.join('attendance', 'records.repository.ts'))) offenders.push(file);
        }
      }
    };
    walk(path.resolve(import.meta.dirname, '../server'));
    walk(path.resolve(import.meta.dirname, '../scripts'));
    expect(offenders).toEqual([]);
  });
});
