import { beforeAll, expect, it } from 'vitest';
import { WS_CLOSE } from '../common/realtime.schemas.js';
import { localDateTime } from '../scripts/device-client.js';
import { buildClassroom, scheduleSession, openWithCode } from './support/classroom.js';
import { userWithToken } from './support/factories.js';
import { describeEachDialect, type TestContext } from './support/test-app.js';
import { openAuthedSocket, TestSocket, wsUrlOf } from './support/ws-client.js';

// A zone away from UTC, so the device's local date and time really are converted.
const TIMEZONE = 'Asia/Kolkata';

async function registerDevice(ctx: TestContext, adminToken: string, name = 'Gate kiosk') {
  const res = await ctx.request({ method: 'POST', url: '/api/devices', token: adminToken, payload: { name, location: 'Main hall' } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { device: { id: string; name: string; keyPrefix: string; lastSeenAt: string | null; revokedAt: string | null }; apiKey: string };
}

function scan(ctx: TestContext, key: string, payload: unknown) {
  return ctx.request({ method: 'POST', url: '/api/attendance/scan', headers: { authorization: `Bearer ${key}` }, payload: payload as object });
}

/** A classroom whose session is open and bound to a new device. */
async function boundRoom(ctx: TestContext, adminToken: string, size = 2, policy: Record<string, unknown> = {}) {
  const room = await buildClassroom(ctx, size);
  const { device, apiKey } = await registerDevice(ctx, adminToken);
  const sessionId = await scheduleSession(ctx, room);
  await openWithCode(ctx, room, sessionId, { deviceId: device.id, ...policy });
  return { room, device, apiKey, sessionId };
}

const localAt = (ms: number) => localDateTime(new Date(ms), TIMEZONE);

describeEachDialect(
  'devices and scans',
  (ctx) => {
    let adminToken: string;
    beforeAll(async () => {
      adminToken = (await userWithToken(ctx(), 'admin')).token;
      await ctx().app.listen({ port: 0, host: '127.0.0.1' });
    });

    it('registers a device (admins only): the key is shown once and only its hash is stored', async () => {
      const { device, apiKey } = await registerDevice(ctx(), adminToken, 'Room 101 reader');
      expect(apiKey).toMatch(/^rbd_[A-Za-z0-9_-]{40,}$/);
      expect(device).toMatchObject({ name: 'Room 101 reader', location: 'Main hall', lastSeenAt: null, revokedAt: null });
      expect(apiKey.startsWith(device.keyPrefix)).toBe(true);
      const row = await ctx().db.selectFrom('devices').selectAll().where('id', '=', device.id).executeTakeFirstOrThrow();
      expect(Object.values(row).some((v) => typeof v === 'string' && v.includes(apiKey.slice(4)))).toBe(false);
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);

      const list = await ctx().request({ method: 'GET', url: '/api/devices', token: adminToken });
      expect(list.statusCode).toBe(200);
      expect(list.json().items).toContainEqual(expect.objectContaining({ id: device.id, keyPrefix: device.keyPrefix, lastSeenAt: null }));
      expect(JSON.stringify(list.json())).not.toContain(apiKey);

      const { token: teacherToken } = await userWithToken(ctx(), 'teacher');
      const { token: studentToken } = await userWithToken(ctx(), 'student');
      // Teachers may read the list (to bind a device when opening a session), never change it.
      const teacherList = await ctx().request({ method: 'GET', url: '/api/devices', token: teacherToken });
      expect(teacherList.statusCode).toBe(200);
      expect(JSON.stringify(teacherList.json())).not.toContain(apiKey);
      expect((await ctx().request({ method: 'GET', url: '/api/devices', token: studentToken })).statusCode).toBe(403);
      for (const token of [teacherToken, studentToken]) {
        expect((await ctx().request({ method: 'POST', url: '/api/devices', token, payload: { name: 'x' } })).statusCode).toBe(403);
        expect((await ctx().request({ method: 'DELETE', url: `/api/devices/${device.id}`, token })).statusCode).toBe(403);
      }
      expect((await ctx().request({ method: 'GET', url: '/api/devices' })).statusCode).toBe(401);
      const invalid = await ctx().request({ method: 'POST', url: '/api/devices', token: adminToken, payload: { name: '' } });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json().code).toBe('validation_failed');
    });

    it('GET /api/devices/me: the device, its bound open session, the time zone; records last seen', async () => {
      const { device, apiKey } = await registerDevice(ctx(), adminToken);
      const me = await ctx().request({ method: 'GET', url: '/api/devices/me', headers: { authorization: `Bearer ${apiKey}` } });
      expect(me.statusCode, me.body).toBe(200);
      expect(me.json()).toMatchObject({ device: { id: device.id }, session: null, timezone: TIMEZONE });
      expect(Math.abs(Date.parse(me.json().serverTime) - Date.now())).toBeLessThan(60_000);

      const room = await buildClassroom(ctx(), 1);
      const sessionId = await scheduleSession(ctx(), room);
      await openWithCode(ctx(), room, sessionId, { deviceId: device.id });
      const bound = await ctx().request({ method: 'GET', url: '/api/devices/me', headers: { authorization: `Bearer ${apiKey}` } });
      expect(bound.json().session).toMatchObject({ id: sessionId, state: 'open', policy: { deviceId: device.id } });

      const list = (await ctx().request({ method: 'GET', url: '/api/devices', token: adminToken })).json().items as { id: string; lastSeenAt: string | null }[];
      expect(list.find((d) => d.id === device.id)?.lastSeenAt).toEqual(expect.any(String));
    });

    it('binds a device when opening: an unknown or revoked device is refused', async () => {
      const room = await buildClassroom(ctx(), 1);
      const sessionId = await scheduleSession(ctx(), room);
      const unknown = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/open`, token: room.teacherToken, payload: { deviceId: 'no-such-device' } });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: 'deviceId' }] });

      const { device } = await registerDevice(ctx(), adminToken);
      expect((await ctx().request({ method: 'DELETE', url: `/api/devices/${device.id}`, token: adminToken })).statusCode).toBe(204);
      const revoked = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/open`, token: room.teacherToken, payload: { deviceId: device.id } });
      expect(revoked.statusCode).toBe(400);

      const { device: good } = await registerDevice(ctx(), adminToken);
      const ok = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/open`, token: room.teacherToken, payload: { policy: { deviceId: good.id } } });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toMatchObject({ state: 'open', policy: { deviceId: good.id } });
    });

    it('a scan with a webhook subscribed writes its record, audit event, outbox event, delivery and scan log together; a repeat writes only its log row', async () => {
      const { room, apiKey, sessionId } = await boundRoom(ctx(), adminToken);
      const [a] = room.students;
      const hook = await ctx().request({ method: 'POST', url: '/api/webhooks', token: adminToken, payload: { url: 'https://sis.example.edu/hooks/scans', events: ['record.created'] } });
      expect(hook.statusCode, hook.body).toBe(201);
      try {
        const db = ctx().db;
        const deliveriesOf = (recordId: string) =>
          db
            .selectFrom('webhook_deliveries')
            .innerJoin('outbox_events', 'outbox_events.id', 'webhook_deliveries.event_id')
            .select(['webhook_deliveries.webhook_id', 'outbox_events.type'])
            .where('outbox_events.record_id', '=', recordId)
            .execute();
        const first = await scan(ctx(), apiKey, { student_id: a.studentNumber, scan_id: 'hooked-0001' });
        expect(first.statusCode, first.body).toBe(201);
        const recordId = first.json().record.id as string;
        expect(await deliveriesOf(recordId)).toEqual([{ webhook_id: hook.json().webhook.id, type: 'record.created' }]);
        const audit = await db.selectFrom('audit_events').select('action').where('entity_id', '=', recordId).execute();
        expect(audit).toEqual([{ action: 'record.checked_in' }]);
        const again = await scan(ctx(), apiKey, { student_id: a.studentNumber, scan_id: 'hooked-0002' });
        expect(again.statusCode, again.body).toBe(200);
        expect(await deliveriesOf(recordId)).toHaveLength(1);
        const logged = await db.selectFrom('device_scans').select(['scan_id', 'record_id']).where('session_id', '=', sessionId).orderBy('scan_id').execute();
        expect(logged).toEqual([
          { scan_id: 'hooked-0001', record_id: recordId },
          { scan_id: 'hooked-0002', record_id: recordId },
        ]);
      } finally {
        const removed = await ctx().request({ method: 'DELETE', url: `/api/webhooks/${hook.json().webhook.id}`, token: adminToken });
        expect(removed.statusCode, removed.body).toBe(204);
      }
    });

    it('scans: 201 on the first scan, 200 duplicate for the same student, 200 with the same record for a replayed scan_id', async () => {
      const { room, apiKey, sessionId, device } = await boundRoom(ctx(), adminToken);
      const [a] = room.students;
      const first = await scan(ctx(), apiKey, { student_id: a.studentNumber, scan_id: 'kiosk1-0001' });
      expect(first.statusCode, first.body).toBe(201);
      const { record } = first.json();
      expect(first.json().duplicate).toBeUndefined();
      expect(record).toMatchObject({ sessionId, studentId: a.id, status: 'present', state: 'confirmed', method: 'device', version: 1 });

      const again = await scan(ctx(), apiKey, { student_id: a.studentNumber, scan_id: 'kiosk1-0002' });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ duplicate: true, record: { id: record.id } });
      const noScanId = await scan(ctx(), apiKey, { student_id: a.studentNumber });
      expect(noScanId.statusCode).toBe(200);
      expect(noScanId.json()).toMatchObject({ duplicate: true, record: { id: record.id } });

      // A teacher's later edit: a replay of the first scan answers with the record as it is now.
      await ctx().request({ method: 'PUT', url: `/api/sessions/${sessionId}/records/${a.id}`, token: room.teacherToken, payload: { status: 'excused' } });
      const replay = await scan(ctx(), apiKey, { student_id: a.studentNumber, scan_id: 'kiosk1-0001' });
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toMatchObject({ duplicate: true, record: { id: record.id, status: 'excused', version: 2 } });

      const records = await ctx().db.selectFrom('attendance_records').select('id').where('session_id', '=', sessionId).execute();
      expect(records).toHaveLength(1);
      const scans = await ctx().db.selectFrom('device_scans').selectAll().where('device_id', '=', device.id).orderBy('created_at').execute();
      expect(scans.map((s) => s.record_id)).toEqual([record.id, record.id, record.id]);
      expect(scans.slice(0, 2).map((s) => s.scan_id)).toEqual(['kiosk1-0001', 'kiosk1-0002']);

      // The audit trail says which device scanned.
      const audit = (await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/audit?studentId=${a.id}`, token: room.teacherToken })).json().items;
      expect(audit.at(-1)).toMatchObject({ action: 'record.checked_in', actorId: null, reason: expect.stringContaining(device.id) });
    });

    it("a scan_id delivered for one student and sent again for another is that scan's replay: the other student gets no record", async () => {
      const { room, apiKey, sessionId } = await boundRoom(ctx(), adminToken, 2);
      const [a, b] = room.students;
      const first = await scan(ctx(), apiKey, { student_id: a.studentNumber, scan_id: 'reused-1' });
      expect(first.statusCode).toBe(201);
      const reused = await scan(ctx(), apiKey, { student_id: b.studentNumber, scan_id: 'reused-1' });
      expect(reused.statusCode, reused.body).toBe(200);
      expect(reused.json()).toMatchObject({ duplicate: true, record: { id: first.json().record.id, studentId: a.id } });
      const records = await ctx().db.selectFrom('attendance_records').select('student_id').where('session_id', '=', sessionId).execute();
      expect(records.map((r) => r.student_id)).toEqual([a.id]);
      const audit = await ctx().db.selectFrom('audit_events').select('id').where('session_id', '=', sessionId).where('student_id', '=', b.id).execute();
      expect(audit).toHaveLength(0);
    });

    it('a replayed scan does not bring back a record an admin deleted; a new scan records again', async () => {
      const { room, apiKey, sessionId } = await boundRoom(ctx(), adminToken, 1);
      const s = room.students[0];
      const first = await scan(ctx(), apiKey, { student_id: s.studentNumber, scan_id: 'to-delete-1' });
      expect(first.statusCode).toBe(201);
      const del = await ctx().request({ method: 'DELETE', url: `/api/sessions/${sessionId}/records/${s.id}`, token: adminToken });
      expect(del.statusCode).toBe(204);
      const replay = await scan(ctx(), apiKey, { student_id: s.studentNumber, scan_id: 'to-delete-1' });
      expect(replay.statusCode).toBe(409);
      expect(replay.json().code).toBe('conflict');
      expect(await ctx().db.selectFrom('attendance_records').select('id').where('session_id', '=', sessionId).execute()).toHaveLength(0);
      const fresh = await scan(ctx(), apiKey, { student_id: s.studentNumber, scan_id: 'to-delete-2' });
      expect(fresh.statusCode).toBe(201);
      expect(fresh.json().record.id).not.toBe(first.json().record.id);
    });

    it('takes student_id as a number, and date/time in the time zone: present or late by the scan time', async () => {
      const room = await buildClassroom(ctx(), 4);
      const { device, apiKey } = await registerDevice(ctx(), adminToken);
      const sessionId = await scheduleSession(ctx(), room, -30);
      await openWithCode(ctx(), room, sessionId, { deviceId: device.id, lateAfterMinutes: 10 });
      // The session opened 30 minutes ago (at its start).
      const openedAt = Date.now() - 30 * 60_000;
      await ctx().db.updateTable('sessions').set({ opened_at: new Date(openedAt).toISOString() }).where('id', '=', sessionId).execute();
      ctx().app.openSessions.invalidate();
      const numeric = room.students[0];
      await ctx().db.updateTable('users').set({ student_number: '120' }).where('id', '=', numeric.id).execute();

      const onTime = await scan(ctx(), apiKey, { student_id: 120, ...localAt(openedAt + 5 * 60_000) });
      expect(onTime.statusCode, onTime.body).toBe(201);
      expect(onTime.json().record).toMatchObject({ studentId: numeric.id, status: 'present', method: 'device' });
      expect(Date.parse(onTime.json().record.checkedInAt)).toBe(Math.floor((openedAt + 5 * 60_000) / 1000) * 1000);

      const late = await scan(ctx(), apiKey, { student_id: room.students[1].studentNumber, ...localAt(openedAt + 15 * 60_000) });
      expect(late.json().record).toMatchObject({ status: 'late' });
      // Time only: today's date in the time zone.
      const timeOnly = await scan(ctx(), apiKey, { student_id: room.students[2].studentNumber, time: localAt(openedAt + 2 * 60_000).time });
      expect(timeOnly.statusCode, timeOnly.body).toBe(201);
      expect(timeOnly.json().record.status).toBe('present');
      // No date or time: now, which is late.
      expect((await scan(ctx(), apiKey, { student_id: room.students[3].studentNumber })).json().record.status).toBe('late');
    });

    it('refuses: no bound open session 409, unknown student 404, not enrolled 403, bad or impossible times 400/409', async () => {
      const { room, apiKey } = await boundRoom(ctx(), adminToken, 1);
      const { apiKey: idleKey } = await registerDevice(ctx(), adminToken, 'Idle kiosk');
      const s = room.students[0];

      const idle = await scan(ctx(), idleKey, { student_id: s.studentNumber });
      expect(idle.statusCode).toBe(409);
      expect(idle.json().code).toBe('no_active_session');
      expect(idle.headers['content-type']).toContain('application/problem+json');

      const unknown = await scan(ctx(), apiKey, { student_id: 'NOBODY-999' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().code).toBe('unknown_student');
      const { user: stranger } = await userWithToken(ctx(), 'student');
      const notEnrolled = await scan(ctx(), apiKey, { student_id: stranger.studentNumber });
      expect(notEnrolled.statusCode).toBe(403);
      expect(notEnrolled.json().code).toBe('not_enrolled');

      const future = await scan(ctx(), apiKey, { student_id: s.studentNumber, ...localAt(Date.now() + 3 * 3600_000) });
      expect(future.statusCode).toBe(400);
      expect(future.json().code).toBe('validation_failed');
      const beforeOpening = await scan(ctx(), apiKey, { student_id: s.studentNumber, ...localAt(Date.now() - 3 * 3600_000) });
      expect(beforeOpening.statusCode).toBe(409);
      expect(beforeOpening.json().code).toBe('no_active_session');
      for (const body of [{}, { student_id: '' }, { student_id: s.studentNumber, date: '2026-11-25' }, { student_id: s.studentNumber, time: '25:00' }, { student_id: s.studentNumber, scan_id: 'has space' }]) {
        const bad = await scan(ctx(), apiKey, body);
        expect(bad.statusCode, JSON.stringify(body)).toBe(400);
        expect(bad.json().code).toBe('validation_failed');
      }
      const notJson = await ctx().request({
        method: 'POST',
        url: '/api/attendance/scan',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        payload: '{"student_id":',
      });
      expect(notJson.statusCode).toBe(400);
      // Nothing was recorded by any refused scan.
      expect(await ctx().db.selectFrom('attendance_records').select('id').where('student_id', '=', s.id).execute()).toHaveLength(0);
    });

    it('refuses scans when the session does not accept devices or was closed', async () => {
      const { room, apiKey, sessionId } = await boundRoom(ctx(), adminToken, 1, { methods: ['code', 'rollcall'] });
      const noDevice = await scan(ctx(), apiKey, { student_id: room.students[0].studentNumber });
      expect(noDevice.statusCode).toBe(409);
      expect(noDevice.json().code).toBe('no_active_session');
      await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/open`, token: room.teacherToken, payload: { methods: ['code', 'device'] } });
      expect((await scan(ctx(), apiKey, { student_id: room.students[0].studentNumber })).statusCode).toBe(201);
      await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
      const closed = await scan(ctx(), apiKey, { student_id: room.students[0].studentNumber, scan_id: 'after-close' });
      expect(closed.statusCode).toBe(409);
      expect(closed.json().code).toBe('no_active_session');
    });

    it('a device bound to an open session cannot be taken by another session (409 device_in_use) until that one closes', async () => {
      const { device, apiKey } = await registerDevice(ctx(), adminToken);
      const roomA = await buildClassroom(ctx(), 1);
      const roomB = await buildClassroom(ctx(), 1);
      const sessionA = await scheduleSession(ctx(), roomA);
      const sessionB = await scheduleSession(ctx(), roomB);
      await openWithCode(ctx(), roomA, sessionA, { deviceId: device.id });
      const steal = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionB}/open`, token: roomB.teacherToken, payload: { deviceId: device.id } });
      expect(steal.statusCode, steal.body).toBe(409);
      expect(steal.json()).toMatchObject({ code: 'device_in_use' });
      // Nothing changed: B is still scheduled, and the device's scans still go to A.
      const b = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionB}`, token: roomB.teacherToken });
      expect(b.json()).toMatchObject({ state: 'scheduled' });
      expect((await scan(ctx(), apiKey, { student_id: roomA.students[0].studentNumber })).json().record.sessionId).toBe(sessionA);
      // Re-sending A's own policy with its device is fine.
      const again = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionA}/open`, token: roomA.teacherToken, payload: { deviceId: device.id } });
      expect(again.statusCode, again.body).toBe(200);
      // Once A closes, B may have the device.
      expect((await ctx().request({ method: 'POST', url: `/api/sessions/${sessionA}/close`, token: roomA.teacherToken })).statusCode).toBe(200);
      await openWithCode(ctx(), roomB, sessionB, { deviceId: device.id });
      expect((await scan(ctx(), apiKey, { student_id: roomB.students[0].studentNumber })).json().record.sessionId).toBe(sessionB);
    });

    it('the same scan_id ten times at once: exactly one record and one scan row', async () => {
      const { room, apiKey, sessionId, device } = await boundRoom(ctx(), adminToken, 2);
      const [a, b] = room.students;
      const same = await Promise.all(Array.from({ length: 10 }, () => scan(ctx(), apiKey, { student_id: a.studentNumber, scan_id: 'burst-1' })));
      expect(same.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
      expect(new Set(same.map((r) => r.json().record.id)).size).toBe(1);
      expect(same.filter((r) => r.statusCode === 200).every((r) => r.json().duplicate === true)).toBe(true);
      // Ten different scans of one student at once: still one record.
      const many = await Promise.all(Array.from({ length: 10 }, (_, i) => scan(ctx(), apiKey, { student_id: b.studentNumber, scan_id: `burst-b-${i}` })));
      expect(many.filter((r) => r.statusCode === 201)).toHaveLength(1);

      const records = await ctx().db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).execute();
      expect(records.map((r) => r.student_id).sort()).toEqual([a.id, b.id].sort());
      const rows = await ctx().db.selectFrom('device_scans').selectAll().where('device_id', '=', device.id).where('scan_id', '=', 'burst-1').execute();
      expect(rows).toHaveLength(1);
      const audit = await ctx().db.selectFrom('audit_events').select('action').where('session_id', '=', sessionId).where('student_id', '=', a.id).execute();
      expect(audit.map((e) => e.action)).toEqual(['record.checked_in']);
    });

    it('scans arrive live on the session topic like any check-in', async () => {
      const { room, apiKey, sessionId } = await boundRoom(ctx(), adminToken, 2);
      const teacher = await openAuthedSocket(wsUrlOf(ctx().app), room.teacherToken);
      try {
        await teacher.subscribe(`session:${sessionId}`);
        const checkin = teacher.nextEvent('CHECKIN');
        expect((await scan(ctx(), apiKey, { student_id: room.students[1].studentNumber })).statusCode).toBe(201);
        expect((await checkin).data).toMatchObject({
          record: { sessionId, studentId: room.students[1].id, method: 'device', status: 'present' },
          student: { id: room.students[1].id, studentNumber: room.students[1].studentNumber },
        });
        await teacher.next((m) => m.event === 'SUMMARY' && (m.data as { summary: { present: number } }).summary.present === 1, 'SUMMARY with 1 present');
      } finally {
        teacher.close();
      }
    });

    it('a revoked key is refused (401); revoking is idempotent and shows in the list', async () => {
      const { room, apiKey, device } = await boundRoom(ctx(), adminToken, 1);
      expect((await ctx().request({ method: 'DELETE', url: `/api/devices/${device.id}`, token: adminToken })).statusCode).toBe(204);
      const refused = await scan(ctx(), apiKey, { student_id: room.students[0].studentNumber });
      expect(refused.statusCode).toBe(401);
      expect(refused.json().code).toBe('unauthenticated');
      expect((await ctx().request({ method: 'GET', url: '/api/devices/me', headers: { authorization: `Bearer ${apiKey}` } })).statusCode).toBe(401);
      expect((await ctx().request({ method: 'DELETE', url: `/api/devices/${device.id}`, token: adminToken })).statusCode).toBe(204);
      expect((await ctx().request({ method: 'DELETE', url: '/api/devices/no-such-device', token: adminToken })).statusCode).toBe(404);

      const all = (await ctx().request({ method: 'GET', url: '/api/devices', token: adminToken })).json().items as { id: string; revokedAt: string | null }[];
      expect(all.find((d) => d.id === device.id)?.revokedAt).toEqual(expect.any(String));
      const active = (await ctx().request({ method: 'GET', url: '/api/devices?includeRevoked=false', token: adminToken })).json().items as { id: string }[];
      expect(active.map((d) => d.id)).not.toContain(device.id);
      const audit = await ctx().db.selectFrom('audit_events').select('action').where('entity_id', '=', device.id).orderBy('at').execute();
      expect(audit.map((e) => e.action)).toEqual(['device.created', 'device.revoked']);
    });

    it('a key this node accepted before (its scans skip the device read) is refused the moment it is revoked, on any node: every answer is 401', async () => {
      const { room, apiKey, device, sessionId } = await boundRoom(ctx(), adminToken, 3);
      const [a, b, c] = room.students;
      const first = await scan(ctx(), apiKey, { student_id: a.studentNumber, scan_id: 'known-1' });
      expect(first.statusCode, first.body).toBe(201);
      // Known now: the scans below take the device from this node's memory. Still valid: the usual answers.
      expect((await scan(ctx(), apiKey, { student_id: b.studentNumber, scan_id: 'known-2' })).statusCode).toBe(201);
      expect((await scan(ctx(), apiKey, {})).statusCode).toBe(400);
      expect((await scan(ctx(), apiKey, { student_id: 'NOBODY-1' })).statusCode).toBe(404);
      const scansBefore = await ctx().db.selectFrom('device_scans').select('id').where('device_id', '=', device.id).execute();

      // Revoked by another node: only the database knows (this node's memory still holds the key).
      await ctx().db.updateTable('devices').set({ revoked_at: new Date().toISOString() }).where('id', '=', device.id).execute();
      const attempts: [string, object][] = [
        ['a new student', { student_id: c.studentNumber, scan_id: 'after-1' }],
        ['a student already recorded', { student_id: a.studentNumber, scan_id: 'after-2' }],
        ['a replayed scan_id', { student_id: a.studentNumber, scan_id: 'known-1' }],
        ['no scan_id', { student_id: b.studentNumber }],
        ['an unknown student', { student_id: 'NOBODY-2', scan_id: 'after-3' }],
        ['a bad body', { student_id: '' }],
        ['a time before the session opened', { student_id: c.studentNumber, ...localAt(Date.now() - 3 * 3600_000) }],
      ];
      for (const [what, body] of attempts) {
        const res = await scan(ctx(), apiKey, body);
        expect(res.statusCode, `${what}: ${res.body}`).toBe(401);
        expect(res.json()).toMatchObject({ code: 'unauthenticated', detail: 'Unknown or revoked device key.' });
      }
      // The session closed: a replay of a refused scan is not answered from the scan log either.
      await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
      expect((await scan(ctx(), apiKey, { student_id: a.studentNumber, scan_id: 'known-1' })).statusCode).toBe(401);
      expect((await ctx().request({ method: 'GET', url: '/api/devices/me', headers: { authorization: `Bearer ${apiKey}` } })).statusCode).toBe(401);

      // Nothing was written by the refused scans: no record for c, no scan logged.
      expect(await ctx().db.selectFrom('attendance_records').select('id').where('student_id', '=', c.id).where('session_id', '=', sessionId).where('method', '!=', 'auto').execute()).toHaveLength(0);
      expect(await ctx().db.selectFrom('device_scans').select('id').where('device_id', '=', device.id).execute()).toHaveLength(scansBefore.length);
    });

    it('a key revoked through the API right after it scanned is refused at once, a bad body included', async () => {
      const { room, apiKey, device } = await boundRoom(ctx(), adminToken, 2);
      expect((await scan(ctx(), apiKey, { student_id: room.students[0].studentNumber })).statusCode).toBe(201);
      expect((await ctx().request({ method: 'DELETE', url: `/api/devices/${device.id}`, token: adminToken })).statusCode).toBe(204);
      for (const body of [{ student_id: room.students[1].studentNumber }, { student_id: '' }]) {
        const res = await scan(ctx(), apiKey, body);
        expect(res.statusCode, res.body).toBe(401);
      }
      expect(await ctx().db.selectFrom('attendance_records').select('id').where('student_id', '=', room.students[1].id).execute()).toHaveLength(0);
    });

    it('a device key opens nothing else, and a user token does not open the device endpoints', async () => {
      const { room, apiKey, sessionId } = await boundRoom(ctx(), adminToken, 1);
      const s = room.students[0];
      const elsewhere: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload?: object }[] = [
        { method: 'GET', url: '/api/auth/me' },
        { method: 'GET', url: '/api/devices' },
        { method: 'POST', url: '/api/devices', payload: { name: 'sneaky' } },
        { method: 'GET', url: '/api/courses' },
        { method: 'GET', url: `/api/sessions/${sessionId}` },
        { method: 'GET', url: `/api/sessions/${sessionId}/records` },
        { method: 'GET', url: `/api/sessions/${sessionId}/audit` },
        { method: 'PUT', url: `/api/sessions/${sessionId}/records/${s.id}`, payload: { status: 'present' } },
        { method: 'DELETE', url: `/api/sessions/${sessionId}/records/${s.id}` },
        { method: 'POST', url: `/api/sessions/${sessionId}/close` },
        { method: 'POST', url: '/api/checkin', payload: { code: 'ABCDEF' } },
        { method: 'GET', url: '/api/me/sessions' },
        { method: 'GET', url: '/api/users' },
      ];
      for (const r of elsewhere) {
        const res = await ctx().request({ ...r, headers: { authorization: `Bearer ${apiKey}` } });
        expect(res.statusCode, `${r.method} ${r.url}: ${res.body}`).toBe(401);
        expect(res.json().code).toBe('unauthenticated');
      }
      // Nor the socket.
      const socket = await TestSocket.open(`${wsUrlOf(ctx().app)}?token=${encodeURIComponent(apiKey)}`);
      expect((await socket.closed).code).toBe(WS_CLOSE.unauthenticated);

      const users = [adminToken, room.teacherToken, s.token!];
      for (const token of users) {
        const res = await scan(ctx(), token, { student_id: s.studentNumber });
        expect(res.statusCode).toBe(401);
        expect(res.json().code).toBe('unauthenticated');
        expect((await ctx().request({ method: 'GET', url: '/api/devices/me', token })).statusCode).toBe(401);
      }
      expect((await ctx().request({ method: 'POST', url: '/api/attendance/scan', payload: { student_id: s.studentNumber } })).statusCode).toBe(401);
      expect((await scan(ctx(), 'rbd_not-a-real-key-0123456789', { student_id: s.studentNumber })).statusCode).toBe(401);
      expect(await ctx().db.selectFrom('attendance_records').select('id').where('session_id', '=', sessionId).execute()).toHaveLength(0);
    });
  },
  { TIMEZONE },
);
