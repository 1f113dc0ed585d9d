import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClassroom, openWithCode, scheduleSession, type Classroom } from './support/classroom.js';
import { userWithToken } from './support/factories.js';
import { startTestSmtp, type TestSmtp } from './support/smtp.js';
import { startTestApp, testDialects, type TestContext } from './support/test-app.js';
import { openAuthedSocket, wsUrlOf } from './support/ws-client.js';

// A 1×1 PNG, a minimal JPEG header and a minimal PDF: file-type recognises each from its bytes.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const HTML = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>');
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), Buffer.from('PE\0\0'), Buffer.alloc(200)]);
EXE.writeUInt32LE(64, 60);

// 0.05 MiB: large enough for the real files above, small enough to overflow cheaply.
const UPLOAD_MAX_MB = '0.05';

function multipart(filename: string, content: Buffer, field = 'file', type = 'application/octet-stream') {
  const boundary = `----rollbook${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
    'utf8',
  );
  return {
    payload: Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** Every file under the upload directory (stored content and temporary files alike). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

for (const dialect of testDialects()) {
  describe(`absences and excuses [${dialect}]`, () => {
    let smtp: TestSmtp;
    let c: TestContext & { close(): Promise<void> };
    const ctx = () => c;
    beforeAll(async () => {
      smtp = await startTestSmtp();
      c = await startTestApp(dialect, { SMTP_URL: smtp.url, UPLOAD_MAX_MB, TIMEZONE: 'Europe/Berlin' });
      await c.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => {
      await c?.close();
      await smtp?.close();
    });

    const upload = (token: string, absenceId: string, filename: string, content: Buffer, field = 'file') =>
      ctx().request({ method: 'POST', url: `/api/absences/${absenceId}/attachments`, token, ...multipart(filename, content, field) });

    async function request(room: Classroom, studentIndex: number, payload: Record<string, unknown>) {
      const res = await ctx().request({
        method: 'POST',
        url: '/api/absences',
        token: room.students[studentIndex].token!,
        payload: { courseId: room.courseId, reason: 'Flu, doctor’s note attached', category: 'illness', ...payload },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json() as { id: string; state: string; sessionIds: string[]; attachments: { id: string }[] };
    }

    async function recordOf(room: Classroom, sessionId: string, studentId: string) {
      const res = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/records`, token: room.teacherToken });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().items as { studentId: string; status: string; method: string }[]).find((r) => r.studentId === studentId);
    }

    /** A session that started a while ago, opened and closed: every student without a check-in is absent. */
    async function heldSession(room: Classroom) {
      const id = await scheduleSession(ctx(), room, -30, 90);
      await openWithCode(ctx(), room, id);
      const close = await ctx().request({ method: 'POST', url: `/api/sessions/${id}/close`, token: room.teacherToken });
      expect(close.statusCode, close.body).toBe(200);
      return id;
    }

    async function notificationsOf(token: string) {
      const res = await ctx().request({ method: 'GET', url: '/api/notifications', token });
      return res.json().items as { kind: string; payload: Record<string, unknown> }[];
    }

    async function attachmentRows() {
      return ctx().db.selectFrom('absence_attachments').selectAll().execute();
    }

    it('runs the whole lifecycle: request → attach → approve → records excused (a later session at its close) → revise → reverted', async () => {
      const room = await buildClassroom(ctx(), 3);
      const [student, other] = room.students;
      const held = await heldSession(room);
      const upcoming = await scheduleSession(ctx(), room, 30, 60);
      // The other student was present in the held session: approval must leave a present record alone.
      const present = await ctx().request({
        method: 'PUT',
        url: `/api/sessions/${held}/records/${other.id}`,
        token: room.teacherToken,
        payload: { status: 'present' },
      });
      expect(present.statusCode, present.body).toBe(200);

      const socket = await openAuthedSocket(wsUrlOf(ctx().app), student.token!);
      await socket.subscribe(`user:${student.id}`);
      const teacherSocket = await openAuthedSocket(wsUrlOf(ctx().app), room.teacherToken);
      await teacherSocket.subscribe(`user:${room.teacher.id}`);

      const absence = await request(room, 0, { sessionIds: [held, upcoming] });
      expect(absence).toMatchObject({ state: 'pending', sessionIds: [held, upcoming], category: 'illness', attachments: [] });
      const submitted = await teacherSocket.next((m) => m.event === 'NOTIFICATION' && m.data.notification.kind === 'absence_requested', 'absence_requested');
      expect(submitted.data.notification.payload).toMatchObject({ requestId: absence.id, courseId: room.courseId, sessionCount: 2 });

      const up = await upload(student.token!, absence.id, 'note from Dr. Müller.png', PNG);
      expect(up.statusCode, up.body).toBe(201);
      expect(up.json()).toMatchObject({ name: 'note from Dr. Müller.png', size: PNG.length, contentType: 'image/png', sha256: createHash('sha256').update(PNG).digest('hex') });
      const pdf = await upload(student.token!, absence.id, 'note.pdf', PDF);
      expect(pdf.statusCode, pdf.body).toBe(201);
      expect(pdf.json().contentType).toBe('application/pdf');

      const download = await ctx().request({ method: 'GET', url: `/api/absences/${absence.id}/attachments/${up.json().id}`, token: room.teacherToken });
      expect(download.statusCode).toBe(200);
      expect(download.headers['content-type']).toBe('image/png');
      expect(download.headers['content-disposition']).toMatch(/^attachment; filename="note from Dr\. M_ller\.png"; filename\*=UTF-8''note%20from%20Dr\.%20M%C3%BCller\.png$/);
      expect(download.headers['x-content-type-options']).toBe('nosniff');
      expect(download.rawPayload.equals(PNG)).toBe(true);

      // Roll call shows the request next to the record: the list filters by session.
      const bySession = await ctx().request({ method: 'GET', url: `/api/absences?sessionId=${held}&studentId=${student.id}`, token: room.teacherToken });
      expect(bySession.json().items.map((a: { id: string }) => a.id)).toEqual([absence.id]);
      const otherSession = await ctx().request({ method: 'GET', url: `/api/absences?sessionId=${await scheduleSession(ctx(), room, 600, 60)}`, token: room.teacherToken });
      expect(otherSession.json().items).toEqual([]);

      const approve = await ctx().request({
        method: 'POST',
        url: `/api/absences/${absence.id}/decision`,
        token: room.teacherToken,
        payload: { decision: 'approved', response: 'Get well soon' },
      });
      expect(approve.statusCode, approve.body).toBe(200);
      expect(approve.json()).toMatchObject({ state: 'approved', response: 'Get well soon', decidedBy: room.teacher.id });
      expect(approve.json().attachments).toHaveLength(2);
      expect(await recordOf(room, held, student.id)).toMatchObject({ status: 'excused', method: 'absence' });
      expect(await recordOf(room, held, other.id)).toMatchObject({ status: 'present' });

      // Live: the decision and the excused record reach the student.
      const decided = await socket.next((m) => m.event === 'NOTIFICATION' && m.data.notification.kind === 'absence_decided', 'absence_decided');
      expect(decided.data.notification.payload).toMatchObject({ decision: 'approved', response: 'Get well soon' });
      const mine = await socket.next((m) => m.event === 'MY_ATTENDANCE' && m.data.sessionId === held, 'MY_ATTENDANCE');
      expect(mine.data.record).toMatchObject({ status: 'excused', method: 'absence' });

      // The later session is excused by its close, not marked absent.
      await openWithCode(ctx(), room, upcoming);
      const close = await ctx().request({ method: 'POST', url: `/api/sessions/${upcoming}/close`, token: room.teacherToken });
      expect(close.statusCode, close.body).toBe(200);
      expect(close.json().summary).toMatchObject({ excused: 1, absent: 2 });
      expect(await recordOf(room, upcoming, student.id)).toMatchObject({ status: 'excused', method: 'absence' });
      expect(await recordOf(room, upcoming, other.id)).toMatchObject({ status: 'absent', method: 'auto' });

      // Audited, and in the outbox.
      const audit = await ctx().db.selectFrom('audit_events').select(['action']).where('entity_id', '=', absence.id).execute();
      expect(audit.map((a) => a.action)).toEqual(
        expect.arrayContaining(['absence.created', 'absence.attachment_added', 'absence.decided']),
      );
      const recordAudit = await ctx().request({ method: 'GET', url: `/api/sessions/${held}/audit`, token: room.teacherToken });
      expect((recordAudit.json().items as { action: string; studentId: string }[]).some((e) => e.action === 'record.excused' && e.studentId === student.id)).toBe(true);
      const outbox = await ctx().db.selectFrom('outbox_events').select(['type', 'order_key']).where('order_key', '=', absence.id).orderBy('id').execute();
      expect(outbox.map((e) => e.type)).toEqual(['absence.created', 'absence.decided']);

      // Revise: denied now; exactly the records this request excused go back to absent.
      const revise = await ctx().request({
        method: 'POST',
        url: `/api/absences/${absence.id}/decision`,
        token: room.teacherToken,
        payload: { decision: 'denied', response: 'The note is from another year', revise: true },
      });
      expect(revise.statusCode, revise.body).toBe(200);
      expect(revise.json()).toMatchObject({ state: 'denied', response: 'The note is from another year' });
      expect(await recordOf(room, held, student.id)).toMatchObject({ status: 'absent' });
      expect(await recordOf(room, upcoming, student.id)).toMatchObject({ status: 'absent' });
      expect(await recordOf(room, held, other.id)).toMatchObject({ status: 'present' });
      // Revising again, or deciding it as if pending, is a 409.
      for (const payload of [{ decision: 'denied', revise: true }, { decision: 'approved' }]) {
        const again = await ctx().request({ method: 'POST', url: `/api/absences/${absence.id}/decision`, token: room.teacherToken, payload });
        expect(again.statusCode).toBe(409);
        expect(again.json().code).toBe('invalid_state');
      }

      // Mails: the teacher got the request, the student both decisions; each with a text and an HTML part.
      const toTeacher = await smtp.waitFor((m) => m.to.includes(`${room.teacher.username}@school.test`) && /Absence request/.test(m.subject), 'request mail');
      expect(toTeacher.raw).toMatch(/Content-Type: text\/plain/);
      expect(toTeacher.raw).toMatch(/Content-Type: text\/html/);
      const toStudent = await smtp.waitFor((m) => m.to.includes(`${student.username}@school.test`) && /approved/.test(m.subject), 'approval mail');
      expect(toStudent.raw).toMatch(/Get well soon/);
      expect(toStudent.raw).toMatch(/Content-Type: text\/html/);
      await smtp.waitFor((m) => m.to.includes(`${student.username}@school.test`) && /denied/.test(m.subject), 'revision mail');
      socket.close();
      teacherSocket.close();
    });

    it('deny leaves the records as they are; a date range covers the course’s sessions in it, past and future', async () => {
      const room = await buildClassroom(ctx(), 1);
      const [student] = room.students;
      const held = await heldSession(room);
      const later = await scheduleSession(ctx(), room, 24 * 60, 60);
      // From the held session's local date (it started 30 minutes ago: just after midnight that is yesterday).
      const today = new Date(Date.now() - 30 * 60_000).toLocaleDateString('en-CA', { timeZone: 'Europe/Berlin' });
      const inThreeDays = new Date(Date.now() + 3 * 86400_000).toLocaleDateString('en-CA', { timeZone: 'Europe/Berlin' });
      const absence = await request(room, 0, { from: today, to: inThreeDays, category: 'family' });
      expect(absence.sessionIds.sort()).toEqual([held, later].sort());
      expect(absence).toMatchObject({ from: today, to: inThreeDays });

      const deny = await ctx().request({ method: 'POST', url: `/api/absences/${absence.id}/decision`, token: room.teacherToken, payload: { decision: 'denied', response: 'No note' } });
      expect(deny.statusCode, deny.body).toBe(200);
      expect(deny.json().state).toBe('denied');
      expect(await recordOf(room, held, student.id)).toMatchObject({ status: 'absent', method: 'auto' });
      const kinds = await notificationsOf(student.token!);
      expect(kinds.find((n) => n.kind === 'absence_decided')?.payload).toMatchObject({ decision: 'denied', response: 'No note' });
    });

    it('withdraw while pending notifies the teachers; a withdrawn request cannot be decided or withdrawn again', async () => {
      const room = await buildClassroom(ctx(), 1);
      const session = await scheduleSession(ctx(), room, 60, 60);
      const absence = await request(room, 0, { sessionIds: [session] });
      const withdraw = await ctx().request({ method: 'POST', url: `/api/absences/${absence.id}/withdraw`, token: room.students[0].token! });
      expect(withdraw.statusCode, withdraw.body).toBe(200);
      expect(withdraw.json().state).toBe('withdrawn');
      expect((await notificationsOf(room.teacherToken)).some((n) => n.kind === 'absence_withdrawn' && n.payload.requestId === absence.id)).toBe(true);
      const decide = await ctx().request({ method: 'POST', url: `/api/absences/${absence.id}/decision`, token: room.teacherToken, payload: { decision: 'approved' } });
      expect(decide.statusCode).toBe(409);
      expect(decide.json().code).toBe('invalid_state');
      const again = await ctx().request({ method: 'POST', url: `/api/absences/${absence.id}/withdraw`, token: room.students[0].token! });
      expect(again.statusCode).toBe(409);
      const attach = await upload(room.students[0].token!, absence.id, 'late.png', PNG);
      expect(attach.statusCode).toBe(409);
      expect(await attachmentRows()).not.toContainEqual(expect.objectContaining({ absence_id: absence.id }));
    });

    it('refuses requests that cover no session, another course’s sessions, or a course the student does not take', async () => {
      const room = await buildClassroom(ctx(), 1);
      const elsewhere = await buildClassroom(ctx(), 1);
      const own = await scheduleSession(ctx(), room, 60, 60);
      const foreign = await scheduleSession(ctx(), elsewhere, 60, 60);
      const before = await ctx().db.selectFrom('absences').select('id').execute();
      const token = room.students[0].token!;
      const cases: [Record<string, unknown>, number, string][] = [
        [{ courseId: room.courseId, sessionIds: [own, foreign] }, 400, 'validation_failed'],
        [{ courseId: room.courseId, from: '2001-01-01', to: '2001-01-07' }, 400, 'validation_failed'],
        [{ courseId: room.courseId, from: '2030-01-07', to: '2030-01-01' }, 400, 'validation_failed'],
        [{ courseId: room.courseId }, 400, 'validation_failed'],
        [{ courseId: room.courseId, sessionIds: [own], from: '2030-01-01', to: '2030-01-02' }, 400, 'validation_failed'],
        [{ courseId: room.courseId, sessionIds: [own], category: 'holiday' }, 400, 'validation_failed'],
        [{ courseId: room.courseId, sessionIds: [own], reason: '' }, 400, 'validation_failed'],
        [{ courseId: elsewhere.courseId, sessionIds: [foreign] }, 403, 'not_enrolled'],
        [{ courseId: 'no-such-course', sessionIds: [own] }, 404, 'not_found'],
      ];
      for (const [payload, status, code] of cases) {
        const res = await ctx().request({ method: 'POST', url: '/api/absences', token, payload: { reason: 'ill', ...payload } });
        expect(res.statusCode, `${JSON.stringify(payload)} → ${res.body}`).toBe(status);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.json().code).toBe(code);
      }
      expect(await ctx().db.selectFrom('absences').select('id').execute()).toHaveLength(before.length);
    });

    it('refuses bad uploads with a clear 4xx and keeps neither a row nor a file', async () => {
      const room = await buildClassroom(ctx(), 1);
      const session = await scheduleSession(ctx(), room, 60, 60);
      const absence = await request(room, 0, { sessionIds: [session] });
      const token = room.students[0].token!;
      const uploadDir = ctx().config.UPLOAD_DIR;
      const filesBefore = filesUnder(uploadDir).length;
      const rowsBefore = (await attachmentRows()).length;
      const oversized = Buffer.concat([PNG, Buffer.alloc(Math.ceil(0.05 * 1024 * 1024) + 10)]);
      const cases: [string, Buffer, number, string][] = [
        ['big.png', oversized, 413, 'file_too_large'],
        ['note.pdf', HTML, 415, 'unsupported_file_type'],
        ['note.pdf', EXE, 415, 'unsupported_file_type'],
        ['empty.pdf', Buffer.alloc(0), 400, 'validation_failed'],
        ['../../etc/passwd.png', PNG, 400, 'validation_failed'],
        ['..\\..\\boot.png', PNG, 400, 'validation_failed'],
        ['a\u0000b.png', PNG, 400, 'validation_failed'],
      ];
      for (const [name, content, status, code] of cases) {
        const res = await upload(token, absence.id, name, content);
        expect(res.statusCode, `${JSON.stringify(name)} → ${res.body}`).toBe(status);
        expect(res.json().code).toBe(code);
      }
      const wrongField = await upload(token, absence.id, 'a.png', PNG, 'document');
      expect(wrongField.statusCode).toBe(400);
      const notMultipart = await ctx().request({ method: 'POST', url: `/api/absences/${absence.id}/attachments`, token, payload: { file: 'x' } });
      expect(notMultipart.statusCode).toBe(415);
      expect((await attachmentRows()).length).toBe(rowsBefore);
      expect(filesUnder(uploadDir).length).toBe(filesBefore);

      // Five at most, also when six arrive at once.
      const many = await Promise.all(
        Array.from({ length: 7 }, (_, i) => upload(token, absence.id, `page-${i}.png`, Buffer.concat([PNG, Buffer.from([i])]))),
      );
      expect(many.filter((r) => r.statusCode === 201)).toHaveLength(5);
      for (const r of many.filter((r) => r.statusCode !== 201)) {
        expect(r.statusCode).toBe(409);
        expect(r.json().code).toBe('too_many_attachments');
      }
      const stored = (await attachmentRows()).filter((r) => r.absence_id === absence.id);
      expect(stored).toHaveLength(5);
      expect(filesUnder(uploadDir).filter((f) => !path.relative(uploadDir, f).startsWith(`tmp${path.sep}`))).toHaveLength(filesBefore + 5);
      expect(filesUnder(path.join(uploadDir, 'tmp'))).toEqual([]);

      // A removed file leaves storage once nothing refers to it; content shared with another attachment stays.
      const shared = await request(room, 0, { sessionIds: [session] });
      const winner = many.findIndex((r) => r.statusCode === 201);
      const copy = await upload(token, shared.id, 'same.png', Buffer.concat([PNG, Buffer.from([winner])]));
      expect(copy.statusCode).toBe(201);
      const first = stored.find((r) => r.sha256 === copy.json().sha256)!;
      const second = stored.find((r) => r !== first)!;
      const remove = (absenceId: string, id: string) => ctx().request({ method: 'DELETE', url: `/api/absences/${absenceId}/attachments/${id}`, token });
      const firstSha = first.sha256;
      expect((await remove(absence.id, first.id)).statusCode).toBe(204);
      expect(await ctx().app.attachments.has(firstSha)).toBe(true); // still referred to by `shared`
      expect((await remove(shared.id, copy.json().id)).statusCode).toBe(204);
      expect(await ctx().app.attachments.has(firstSha)).toBe(false);
      expect((await remove(absence.id, second.id)).statusCode).toBe(204);
      expect(await ctx().app.attachments.has(second.sha256)).toBe(false);
    });

    it('lets exactly one of two teachers deciding at the same moment win; the other gets 409', async () => {
      const room = await buildClassroom(ctx(), 1);
      const { user: coTeacher, token: coToken } = await userWithToken(ctx(), 'teacher');
      const patch = await ctx().request({ method: 'PATCH', url: `/api/courses/${room.courseId}`, token: room.teacherToken, payload: { teacherIds: [room.teacher.id, coTeacher.id] } });
      expect(patch.statusCode, patch.body).toBe(200);
      const held = await heldSession(room);
      for (let round = 0; round < 3; round++) {
        const absence = await request(room, 0, { sessionIds: [held] });
        const results = await Promise.all([
          ctx().request({ method: 'POST', url: `/api/absences/${absence.id}/decision`, token: room.teacherToken, payload: { decision: 'approved' } }),
          ctx().request({ method: 'POST', url: `/api/absences/${absence.id}/decision`, token: coToken, payload: { decision: 'denied' } }),
        ]);
        expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
        const loser = results.find((r) => r.statusCode === 409)!;
        expect(loser.json().code).toBe('invalid_state');
        const winner = results.find((r) => r.statusCode === 200)!.json();
        const decisions = await ctx().db.selectFrom('audit_events').select('action').where('entity_id', '=', absence.id).where('action', '=', 'absence.decided').execute();
        expect(decisions).toHaveLength(1);
        if (winner.state === 'approved') {
          // Put it back for the next round.
          await ctx().request({ method: 'POST', url: `/api/absences/${absence.id}/decision`, token: room.teacherToken, payload: { decision: 'denied', revise: true } });
        }
      }
    });

    it('authorises every absence route by role and ownership', async () => {
      const room = await buildClassroom(ctx(), 2);
      const { token: otherTeacher } = await userWithToken(ctx(), 'teacher');
      const { token: admin } = await userWithToken(ctx(), 'admin');
      const session = await scheduleSession(ctx(), room, 60, 60);
      const absence = await request(room, 0, { sessionIds: [session] });
      const file = await upload(room.students[0].token!, absence.id, 'x.png', PNG);
      expect(file.statusCode).toBe(201);
      const owner = room.students[0].token!;
      const classmate = room.students[1].token!;
      const teacher = room.teacherToken;
      const fresh = async () => (await request(room, 0, { sessionIds: [session] })).id;
      type Who = 'anonymous' | 'owner' | 'classmate' | 'teacher' | 'otherTeacher' | 'admin';
      const tokens: Record<Who, string | undefined> = { anonymous: undefined, owner, classmate, teacher, otherTeacher, admin };
      const routes: { name: string; call: (token: string | undefined) => Promise<{ statusCode: number }>; expect: Record<Who, number> }[] = [
        {
          name: 'POST /api/absences',
          call: (token) => ctx().request({ method: 'POST', url: '/api/absences', token, payload: { courseId: room.courseId, sessionIds: [session], reason: 'x' } }),
          expect: { anonymous: 401, owner: 201, classmate: 201, teacher: 403, otherTeacher: 403, admin: 403 },
        },
        {
          name: 'GET /api/absences/:id',
          call: (token) => ctx().request({ method: 'GET', url: `/api/absences/${absence.id}`, token }),
          expect: { anonymous: 401, owner: 200, classmate: 403, teacher: 200, otherTeacher: 403, admin: 200 },
        },
        {
          name: 'GET /api/absences?courseId',
          call: (token) => ctx().request({ method: 'GET', url: `/api/absences?courseId=${room.courseId}`, token }),
          expect: { anonymous: 401, owner: 200, classmate: 200, teacher: 200, otherTeacher: 403, admin: 200 },
        },
        {
          name: 'GET /api/absences/counts',
          call: (token) => ctx().request({ method: 'GET', url: '/api/absences/counts', token }),
          expect: { anonymous: 401, owner: 403, classmate: 403, teacher: 200, otherTeacher: 200, admin: 200 },
        },
        {
          name: 'GET attachment',
          call: (token) => ctx().request({ method: 'GET', url: `/api/absences/${absence.id}/attachments/${file.json().id}`, token }),
          expect: { anonymous: 401, owner: 200, classmate: 403, teacher: 200, otherTeacher: 403, admin: 200 },
        },
        {
          name: 'POST attachment',
          call: (token) => upload(token as string, absence.id, 'y.png', PNG),
          expect: { anonymous: 401, owner: 201, classmate: 403, teacher: 403, otherTeacher: 403, admin: 403 },
        },
        {
          name: 'DELETE attachment',
          call: async (token) => {
            const up = await upload(owner, absence.id, 'z.png', Buffer.concat([PNG, Buffer.from('z')]));
            const res = await ctx().request({ method: 'DELETE', url: `/api/absences/${absence.id}/attachments/${up.json().id}`, token });
            if (res.statusCode !== 204) await ctx().request({ method: 'DELETE', url: `/api/absences/${absence.id}/attachments/${up.json().id}`, token: owner });
            return res;
          },
          expect: { anonymous: 401, owner: 204, classmate: 403, teacher: 403, otherTeacher: 403, admin: 403 },
        },
        {
          name: 'POST decision',
          call: async (token) => ctx().request({ method: 'POST', url: `/api/absences/${await fresh()}/decision`, token, payload: { decision: 'denied' } }),
          expect: { anonymous: 401, owner: 403, classmate: 403, teacher: 200, otherTeacher: 403, admin: 200 },
        },
        {
          name: 'POST withdraw',
          call: async (token) => ctx().request({ method: 'POST', url: `/api/absences/${await fresh()}/withdraw`, token }),
          expect: { anonymous: 401, owner: 200, classmate: 403, teacher: 403, otherTeacher: 403, admin: 403 },
        },
        {
          name: 'POST /api/courses/:id/cancellations',
          call: async (token) =>
            ctx().request({ method: 'POST', url: `/api/courses/${room.courseId}/cancellations`, token, payload: { sessionIds: [await scheduleSession(ctx(), room, 600, 60)], reason: 'x' } }),
          expect: { anonymous: 401, owner: 403, classmate: 403, teacher: 200, otherTeacher: 403, admin: 200 },
        },
      ];
      const failures: string[] = [];
      for (const route of routes) {
        for (const who of Object.keys(tokens) as Who[]) {
          const res = await route.call(tokens[who]);
          if (res.statusCode !== route.expect[who]) failures.push(`${route.name} as ${who}: ${res.statusCode}, expected ${route.expect[who]}`);
        }
      }
      expect(failures).toEqual([]);
      // Lists are scoped: a classmate sees only their own requests, never the owner's.
      const mine = await ctx().request({ method: 'GET', url: '/api/absences', token: classmate });
      const mineItems = mine.json().items as { studentId: string }[];
      expect(mineItems.length).toBeGreaterThan(0);
      expect(mineItems.every((a) => a.studentId === room.students[1].id)).toBe(true);
      const peek = await ctx().request({ method: 'GET', url: `/api/absences?studentId=${room.students[0].id}`, token: classmate });
      expect(peek.statusCode).toBe(403);
      const otherList = await ctx().request({ method: 'GET', url: '/api/absences', token: otherTeacher });
      expect(otherList.json().items).toEqual([]);
    });

    it('cancels several sessions at once: each student gets one notification and one mail listing them all', async () => {
      const room = await buildClassroom(ctx(), 2);
      const a = await scheduleSession(ctx(), room, 2 * 24 * 60, 60);
      const b = await scheduleSession(ctx(), room, 3 * 24 * 60, 60);
      const held = await heldSession(room);
      const bad = await ctx().request({ method: 'POST', url: `/api/courses/${room.courseId}/cancellations`, token: room.teacherToken, payload: { sessionIds: [a, held], reason: 'Conference' } });
      expect(bad.statusCode).toBe(409);
      expect(bad.json().code).toBe('invalid_state');
      const res = await ctx().request({ method: 'POST', url: `/api/courses/${room.courseId}/cancellations`, token: room.teacherToken, payload: { sessionIds: [a, b], reason: 'Conference' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().items.map((s: { id: string; state: string }) => [s.id, s.state])).toEqual([[a, 'cancelled'], [b, 'cancelled']]);
      for (const s of room.students) {
        const ns = (await notificationsOf(s.token!)).filter((n) => n.kind === 'classes_cancelled');
        expect(ns).toHaveLength(1);
        expect((ns[0].payload.sessions as { sessionId: string }[]).map((x) => x.sessionId)).toEqual([a, b]);
        const mail = await smtp.waitFor((m) => m.to.includes(`${s.username}@school.test`) && /2 classes cancelled/.test(m.subject), 'cancellation mail');
        expect(mail.raw).toMatch(/Conference/);
        expect(smtp.mails.filter((m) => m.to.includes(`${s.username}@school.test`) && /cancelled/.test(m.subject))).toHaveLength(1);
      }
      const again = await ctx().request({ method: 'POST', url: `/api/courses/${room.courseId}/cancellations`, token: room.teacherToken, payload: { sessionIds: [a], reason: 'x' } });
      expect(again.statusCode).toBe(409);
      const none = await ctx().request({ method: 'POST', url: `/api/courses/${room.courseId}/cancellations`, token: room.teacherToken, payload: { from: '2001-01-01', to: '2001-01-02', reason: 'x' } });
      expect(none.statusCode).toBe(400);
    });
  });
}
