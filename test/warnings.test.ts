import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../server/app.js';
import type { DbHandle } from '../server/db/kysely.js';
import { sendWarningsDigest } from '../server/modules/warnings/warnings-digest.js';
import { evaluateWarnings, warningDepsOf } from '../server/modules/warnings/warnings.service.js';
import { insertWarningIfNone } from '../server/modules/warnings/warnings.repository.js';
import { buildClassroom, type Classroom } from './support/classroom.js';
import { startTestSmtp, type TestSmtp } from './support/smtp.js';
import { startTestApp, testDialects, type TestContext } from './support/test-app.js';

type Status = 'present' | 'late' | 'absent' | 'excused';

/** Creates a session at `startsAt`, opens it, marks the given students and closes it (the rest become absent). */
async function holdSession(c: TestContext, room: Classroom, startsAt: string, marks: Map<string, Status>): Promise<string> {
  const start = new Date(startsAt);
  const created = await c.request({
    method: 'POST',
    url: `/api/courses/${room.courseId}/sessions`,
    token: room.teacherToken,
    payload: { startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 90 * 60_000).toISOString() },
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  expect((await c.request({ method: 'POST', url: `/api/sessions/${id}/open`, token: room.teacherToken, payload: {} })).statusCode).toBe(200);
  for (const [studentId, status] of marks) {
    const res = await c.request({ method: 'PUT', url: `/api/sessions/${id}/records/${studentId}`, token: room.teacherToken, payload: { status } });
    expect(res.statusCode, res.body).toBe(200);
  }
  expect((await c.request({ method: 'POST', url: `/api/sessions/${id}/close`, token: room.teacherToken })).statusCode).toBe(200);
  return id;
}

async function futureSessions(c: TestContext, room: Classroom, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const start = new Date(Date.now() + (i + 2) * 86_400_000);
    const res = await c.request({
      method: 'POST',
      url: `/api/courses/${room.courseId}/sessions`,
      token: room.teacherToken,
      payload: { startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3_600_000).toISOString() },
    });
    expect(res.statusCode, res.body).toBe(201);
    ids.push(res.json().id);
  }
  return ids;
}

async function warningsOf(c: TestContext, room: Classroom, studentId: string, state = 'open') {
  const res = await c.request({ method: 'GET', url: `/api/warnings?courseId=${room.courseId}&studentId=${studentId}&state=${state}`, token: room.teacherToken });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as { id: string; kind: string; detail: string; state: string; resolvedAt: string | null }[];
}

const day = (d: string) => `${d}T10:00:00Z`;

for (const dialect of testDialects()) {
  describe(`attendance warnings [${dialect}]`, () => {
    let smtp: TestSmtp;
    let c: TestContext & { close(): Promise<void> };
    let other: FastifyInstance;
    let otherHandle: DbHandle;

    beforeAll(async () => {
      smtp = await startTestSmtp();
      c = await startTestApp(dialect, { SMTP_URL: `${smtp.url}?pool=false`, TIMEZONE: 'Europe/London' });
      // A second node on the same database: what two servers behind a load balancer are.
      otherHandle = c.database.open();
      other = await buildApp(c.config, { database: otherHandle });
      await other.ready();
    });
    afterAll(async () => {
      await other?.close();
      await otherHandle?.db.destroy();
      await c?.close();
      await smtp?.close();
    });

    const evaluate = (room: Classroom, app: FastifyInstance = c.app) => evaluateWarnings(warningDepsOf(app), room.courseId, room.students.map((s) => s.id));
    /** Warnings are evaluated after each record change commits (the record writer's hook): wait for it. */
    const settle = () => c.app.warningEvaluator.idle();

    it('warns below the threshold but not exactly at it', async () => {
      const room = await buildClassroom(c, 2);
      await c.request({ method: 'PATCH', url: `/api/courses/${room.courseId}`, token: room.teacherToken, payload: { warnings: { consecutiveAbsences: 0, cannotReach: false } } });
      const [at, below] = room.students;
      const plan: [Status, Status][] = [
        ['present', 'present'],
        ['present', 'absent'],
        ['late', 'present'],
        ['absent', 'absent'],
      ];
      for (const [i, [sa, sb]] of plan.entries()) await holdSession(c, room, day(`2025-11-0${i + 3}`), new Map([[at.id, sa], [below.id, sb]]));
      await settle();
      expect(await warningsOf(c, room, at.id)).toEqual([]); // 3 of 4 = 75 %, the threshold itself
      const [w] = await warningsOf(c, room, below.id);
      expect(w).toMatchObject({ kind: 'below_threshold', detail: 'Attendance is 50 % (2 of 4 sessions), below the 75 % threshold', state: 'open' });
      const course = (await c.request({ method: 'GET', url: `/api/courses/${room.courseId}`, token: room.teacherToken })).json();
      expect(course.warnings).toEqual({ belowThreshold: true, consecutiveAbsences: 0, cannotReach: false });
    });

    it('counts absences in a row across an excused one and a cancelled session, and resolves when a record is corrected', async () => {
      const room = await buildClassroom(c, 2);
      await c.request({ method: 'PATCH', url: `/api/courses/${room.courseId}`, token: room.teacherToken, payload: { thresholdPercent: 0 } });
      const [s, broken] = room.students;
      const present = (ids: string[]) => new Map(ids.map((id) => [id, 'present' as Status]));
      await holdSession(c, room, day('2025-11-10'), present([s.id, broken.id]));
      await holdSession(c, room, day('2025-11-12'), new Map()); // both absent
      await holdSession(c, room, day('2025-11-13'), new Map([[s.id, 'excused'], [broken.id, 'present']]));
      const cancelled = await c.request({
        method: 'POST',
        url: `/api/courses/${room.courseId}/sessions`,
        token: room.teacherToken,
        payload: { startsAt: day('2025-11-17'), endsAt: '2025-11-17T11:00:00Z' },
      });
      expect((await c.request({ method: 'POST', url: `/api/sessions/${cancelled.json().id}/cancel`, token: room.teacherToken, payload: { reason: 'strike' } })).statusCode).toBe(200);
      const s14 = await holdSession(c, room, day('2025-11-14'), new Map());
      await holdSession(c, room, day('2025-11-19'), new Map());

      await settle();
      const [w] = await warningsOf(c, room, s.id);
      expect(w).toMatchObject({ kind: 'consecutive_absences', detail: '3 absences in a row: 12, 14 and 19 Nov' });
      // The other student attended on the 13th: only two in a row.
      expect(await warningsOf(c, room, broken.id)).toEqual([]);

      const mine = await c.request({ method: 'GET', url: '/api/me/warnings', token: s.token });
      expect(mine.json().items).toEqual([expect.objectContaining({ id: w.id, courseId: room.courseId, kind: 'consecutive_absences' })]);

      // The teacher corrects the 14th: the run is broken, the warning resolves itself.
      await c.request({ method: 'PUT', url: `/api/sessions/${s14}/records/${s.id}`, token: room.teacherToken, payload: { status: 'present', note: 'was there' } });
      await settle();
      expect(await warningsOf(c, room, s.id)).toEqual([]);
      const [resolved] = await warningsOf(c, room, s.id, 'resolved');
      expect(resolved).toMatchObject({ id: w.id, state: 'resolved', resolvedAt: expect.any(String) });
      expect((await c.request({ method: 'GET', url: '/api/me/warnings', token: s.token })).json().items).toEqual([]);
    });

    it('warns when the threshold cannot be reached any more, and says by how much', async () => {
      const room = await buildClassroom(c, 1);
      await c.request({ method: 'PATCH', url: `/api/courses/${room.courseId}`, token: room.teacherToken, payload: { warnings: { belowThreshold: false, consecutiveAbsences: 0 } } });
      const [s] = room.students;
      await futureSessions(c, room, 4);
      await holdSession(c, room, day('2025-11-03'), new Map([[s.id, 'present']]));
      for (const d of ['04', '05']) await holdSession(c, room, day(`2025-11-${d}`), new Map());
      await settle();
      // 1 of 3 now; with all 4 remaining: 5 of 7 = 71.4 % < 75 %.
      expect(await warningsOf(c, room, s.id)).toEqual([
        expect.objectContaining({ kind: 'cannot_reach_threshold', detail: 'Even attending all 4 remaining sessions you would reach 71.4 %, below 75 %' }),
      ]);
    });

    it('re-evaluates the whole course when its threshold, its rules or its schedule change', async () => {
      const room = await buildClassroom(c, 2);
      const patch = (payload: object) => c.request({ method: 'PATCH', url: `/api/courses/${room.courseId}`, token: room.teacherToken, payload });
      expect((await patch({ thresholdPercent: 60, warnings: { consecutiveAbsences: 0, cannotReach: false } })).statusCode).toBe(200);
      const [good, weak] = room.students;
      // good: 3 of 4 = 75 %; weak: 2 of 4 = 50 %.
      const plan: [Status, Status][] = [
        ['present', 'present'],
        ['present', 'absent'],
        ['present', 'present'],
        ['absent', 'absent'],
      ];
      for (const [i, [a, b]] of plan.entries()) await holdSession(c, room, day(`2025-10-0${i + 6}`), new Map([[good.id, a], [weak.id, b]]));
      await settle();
      expect((await warningsOf(c, room, weak.id)).map((w) => w.kind)).toEqual(['below_threshold']);
      expect(await warningsOf(c, room, good.id)).toEqual([]);

      // Raising the threshold puts `good` below it now, with no record changing.
      expect((await patch({ thresholdPercent: 80 })).statusCode).toBe(200);
      await settle();
      expect(await warningsOf(c, room, good.id)).toEqual([
        expect.objectContaining({ kind: 'below_threshold', detail: 'Attendance is 75 % (3 of 4 sessions), below the 80 % threshold' }),
      ]);
      // Turning the rule off resolves both.
      expect((await patch({ warnings: { belowThreshold: false } })).statusCode).toBe(200);
      await settle();
      expect(await warningsOf(c, room, good.id)).toEqual([]);
      expect(await warningsOf(c, room, weak.id)).toEqual([]);

      // "Cannot reach": 2 of 4 with 2 sessions left can reach 4 of 6 = 66.7 % < 80 %: a warning once the rule is on.
      const future = await futureSessions(c, room, 2);
      expect((await patch({ warnings: { cannotReach: true } })).statusCode).toBe(200);
      await settle();
      expect(await warningsOf(c, room, weak.id)).toEqual([
        expect.objectContaining({ kind: 'cannot_reach_threshold', detail: 'Even attending all 2 remaining sessions you would reach 66.7 %, below 80 %' }),
      ]);
      // Cancelling a remaining session changes the outlook: weak can reach 3 of 5 = 60 % at best,
      // good still reaches 4 of 5 = 80 %, exactly the threshold.
      const cancelled = await c.request({ method: 'POST', url: `/api/sessions/${future[0]}/cancel`, token: room.teacherToken, payload: { reason: 'holiday' } });
      expect(cancelled.statusCode, cancelled.body).toBe(200);
      await settle();
      expect(await warningsOf(c, room, weak.id)).toEqual([
        expect.objectContaining({ kind: 'cannot_reach_threshold', detail: 'Even attending the 1 remaining session you would reach 60 %, below 80 %' }),
      ]);
      expect(await warningsOf(c, room, good.id)).toEqual([]);
      // Deleting the last scheduled session leaves good at 75 % for good.
      const del = await c.request({ method: 'DELETE', url: `/api/sessions/${future[1]}`, token: room.teacherToken });
      expect(del.statusCode, del.body).toBe(204);
      await settle();
      expect(await warningsOf(c, room, good.id)).toEqual([
        expect.objectContaining({ kind: 'cannot_reach_threshold', detail: 'No sessions remain: attendance ends at 75 %, below 80 %' }),
      ]);
    });

    it('opens one warning when two nodes evaluate the same change, and mails student, guardian and teacher once', async () => {
      const room = await buildClassroom(c, 1);
      const [s] = room.students;
      const guardian = `guardian-${s.id}@family.test`;
      const patch = await c.request({ method: 'PATCH', url: `/api/users/${s.id}`, token: await adminToken(c), payload: { guardianEmail: guardian } });
      expect(patch.statusCode, patch.body).toBe(200);
      expect(patch.json().guardianEmail).toBe(guardian);
      // Records first with every rule off (the hook opens nothing), then the rules on — straight in
      // the database, because through the API the change would be evaluated at once: the next
      // evaluation is the one both nodes make at once.
      const off = await c.request({
        method: 'PATCH',
        url: `/api/courses/${room.courseId}`,
        token: room.teacherToken,
        payload: { warnings: { belowThreshold: false, consecutiveAbsences: 0, cannotReach: false } },
      });
      expect(off.statusCode, off.body).toBe(200);
      for (const d of ['10', '12', '14']) await holdSession(c, room, day(`2025-11-${d}`), new Map());
      await settle();
      expect(await warningsOf(c, room, s.id)).toEqual([]);
      await c.db
        .updateTable('courses')
        .set({ warn_below_threshold: 1, warn_consecutive_absences: 3, warn_cannot_reach: 1 })
        .where('id', '=', room.courseId)
        .execute();

      // Both nodes at once. better-sqlite3 blocks its thread while it waits for the file lock, so two
      // SQLite handles in one process cannot interleave: there they take turns (two SQLite nodes would be
      // two processes); on PostgreSQL they truly race.
      const [a, b] =
        dialect === 'postgres'
          ? await Promise.all([evaluate(room, c.app), evaluate(room, other)])
          : [await evaluate(room, c.app), await evaluate(room, other)];
      const kinds = [...a.opened, ...b.opened].map((w) => w.kind).sort();
      expect(kinds).toEqual(['below_threshold', 'cannot_reach_threshold', 'consecutive_absences']);
      const open = await warningsOf(c, room, s.id);
      expect(open).toHaveLength(3);
      // Evaluating again changes nothing.
      expect(await evaluate(room, other)).toEqual({ opened: [], resolved: [], updated: 0 });
      // The database itself refuses a second open warning of a kind (what stops a race between nodes).
      const dup = { ...(await c.db.selectFrom('warnings').selectAll().where('id', '=', open[0].id).executeTakeFirstOrThrow()), id: 'duplicate' };
      await expect(c.db.insertInto('warnings').values(dup).execute()).rejects.toThrow(/unique|UNIQUE/);
      expect(await insertWarningIfNone(c.db, dup)).toBeUndefined();

      const notes = await c.request({ method: 'GET', url: '/api/notifications', token: s.token });
      expect(notes.json().items.filter((n: { kind: string }) => n.kind === 'attendance_warning')).toHaveLength(3);

      const studentEmail = (await c.db.selectFrom('users').select('email').where('id', '=', s.id).executeTakeFirstOrThrow()).email!;
      const teacherEmail = (await c.db.selectFrom('users').select('email').where('id', '=', room.teacher.id).executeTakeFirstOrThrow()).email!;
      const toStudent = await smtp.waitFor((m) => m.to.includes(studentEmail) && /absences in a row/.test(m.text), 'to the student');
      expect(toStudent.subject).toContain('Attendance warning');
      expect(toStudent.text).toContain('3 absences in a row: 10, 12 and 14 Nov');
      const toGuardian = await smtp.waitFor((m) => m.to.includes(guardian) && /absences in a row/.test(m.text), 'to the guardian');
      expect(toGuardian.text).toContain(room.courseCode);
      expect(toGuardian.text).toContain('guardian');
      const toTeacher = await smtp.waitFor((m) => m.to.includes(teacherEmail) && /absences in a row/.test(m.text), 'to the teacher');
      expect(toTeacher.text).toContain('3 absences in a row');
      await new Promise((r) => setTimeout(r, 300));
      expect(smtp.mails.filter((m) => m.to.includes(guardian))).toHaveLength(3);
      expect(smtp.mails.filter((m) => m.to.includes(studentEmail))).toHaveLength(3);

      // The weekly digest: both nodes run the job for the same week, one mail goes out.
      const monday = new Date('2031-03-03T09:00:00Z');
      const runs = await Promise.all([sendWarningsDigest(warningDepsOf(c.app), monday), sendWarningsDigest(warningDepsOf(other), monday)]);
      expect(runs.filter((r) => r !== null)).toHaveLength(1);
      const digest = await smtp.waitFor((m) => m.to.includes(teacherEmail) && /at risk this week/.test(m.subject), 'the digest');
      expect(digest.text).toContain(room.courseCode);
      expect(digest.text).toContain('3 absences in a row');
      await new Promise((r) => setTimeout(r, 300));
      expect(smtp.mails.filter((m) => m.to.includes(teacherEmail) && /at risk this week/.test(m.subject))).toHaveLength(1);
      // The same week again, later: nothing; before Monday 07:00 of the next week: not due yet.
      expect(await sendWarningsDigest(warningDepsOf(other), new Date('2031-03-05T12:00:00Z'))).toBeNull();
      expect(await sendWarningsDigest(warningDepsOf(other), new Date('2031-03-10T06:00:00Z'))).toBeNull();
    });

    it('keeps a guardian email from the API and the CSV import', async () => {
      const token = await adminToken(c);
      const created = await c.request({
        method: 'POST',
        url: '/api/users',
        token,
        payload: { role: 'student', username: `g-${Date.now()}`, name: 'Gina', studentNumber: `G${Date.now()}`, guardianEmail: 'Parent@Family.test' },
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json().guardianEmail).toBe('parent@family.test');
      const n = Date.now().toString(36);
      const csv = `role,username,name,email,studentNumber,staffNumber,section,password,guardianEmail\nstudent,imp-${n},Ivo,,N${n},,,,mum-${n}@family.test\n`;
      const imported = await c.request({ method: 'POST', url: '/api/users/import', token, headers: { 'content-type': 'text/csv' }, payload: csv });
      expect(imported.json()).toMatchObject({ created: 1, errors: [] });
      const list = await c.request({ method: 'GET', url: `/api/users?q=imp-${n}`, token });
      expect(list.json().items[0].guardianEmail).toBe(`mum-${n}@family.test`);
      const bad = `role,username,name,email,studentNumber,staffNumber,section,password,guardianEmail\nstudent,bad-${n},Bo,,B${n},,,,not-an-email\n`;
      const rejected = await c.request({ method: 'POST', url: '/api/users/import', token, headers: { 'content-type': 'text/csv' }, payload: bad });
      expect(rejected.json().errors).toEqual([expect.objectContaining({ line: 2, message: expect.stringContaining('guardianEmail') })]);
    });

    it('lets teachers see the warnings of their courses only, and students only their own', async () => {
      const room = await buildClassroom(c, 1);
      await holdSession(c, room, day('2025-10-01'), new Map());
      await settle();
      const outsider = await buildClassroom(c, 0);
      const theirs = await c.request({ method: 'GET', url: '/api/warnings', token: outsider.teacherToken });
      expect(theirs.json().items.filter((w: { courseId: string }) => w.courseId === room.courseId)).toEqual([]);
      expect((await c.request({ method: 'GET', url: `/api/warnings?courseId=${room.courseId}`, token: outsider.teacherToken })).statusCode).toBe(403);
      expect((await c.request({ method: 'GET', url: '/api/warnings', token: room.students[0].token })).statusCode).toBe(403);
      expect((await c.request({ method: 'GET', url: '/api/me/warnings', token: room.teacherToken })).statusCode).toBe(403);
      expect((await c.request({ method: 'GET', url: '/api/warnings?state=bogus', token: room.teacherToken })).statusCode).toBe(400);
      const page = await c.request({ method: 'GET', url: `/api/warnings?courseId=${room.courseId}&limit=1`, token: room.teacherToken });
      expect(page.json().items).toHaveLength(1);
      expect(page.json().nextCursor).not.toBeNull();
      const next = await c.request({ method: 'GET', url: `/api/warnings?courseId=${room.courseId}&limit=1&cursor=${page.json().nextCursor}`, token: room.teacherToken });
      expect(next.json().items[0].id).not.toBe(page.json().items[0].id);
    });
  });
}

let admin: { ctx: TestContext; token: string } | null = null;
async function adminToken(c: TestContext): Promise<string> {
  if (admin?.ctx === c) return admin.token;
  const { userWithToken } = await import('./support/factories.js');
  const { token } = await userWithToken(c, 'admin');
  admin = { ctx: c, token };
  return token;
}
