import { createRequire } from 'node:module';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { expect, it } from 'vitest';
import { buildClassroom, openWithCode, scheduleSession, type Classroom } from './support/classroom.js';
import { buildUser, userWithToken } from './support/factories.js';
import { describeEachDialect, type TestContext } from './support/test-app.js';

const STANDARD_FONTS = `${path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'))}/standard_fonts/`;

/** Every text run of a PDF, page by page. */
async function pdfText(body: Buffer): Promise<string> {
  const pdf = await getDocument({ data: new Uint8Array(body), disableFontFace: true, useSystemFonts: false, standardFontDataUrl: STANDARD_FONTS }).promise;
  const pages: string[] = [];
  for (let i = 1; i <= pdf.numPages; i++) {
    const content = await (await pdf.getPage(i)).getTextContent();
    pages.push(content.items.map((item) => ('str' in item ? item.str : '')).join(' '));
  }
  await pdf.destroy();
  return pages.join('\n');
}

async function held(c: TestContext, room: Classroom, startsAt: string, marks: Record<string, string>) {
  const start = new Date(startsAt);
  const s = await c.request({
    method: 'POST',
    url: `/api/courses/${room.courseId}/sessions`,
    token: room.teacherToken,
    payload: { startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3_600_000).toISOString(), title: `Topic ${startsAt.slice(5, 10)}` },
  });
  const id = s.json().id as string;
  await c.request({ method: 'POST', url: `/api/sessions/${id}/open`, token: room.teacherToken, payload: {} });
  for (const [studentId, status] of Object.entries(marks)) {
    await c.request({ method: 'PUT', url: `/api/sessions/${id}/records/${studentId}`, token: room.teacherToken, payload: { status } });
  }
  expect((await c.request({ method: 'POST', url: `/api/sessions/${id}/close`, token: room.teacherToken })).statusCode).toBe(200);
  return id;
}

describeEachDialect(
  'report exports',
  (ctx) => {
    async function scene() {
      const c = ctx();
      const room = await buildClassroom(c, 3);
      const [a, b, d] = room.students;
      await c.db.updateTable('users').set({ name: 'Ada Lovelace' }).where('id', '=', a.id).execute();
      await c.db.updateTable('users').set({ name: 'Brook Taylor' }).where('id', '=', b.id).execute();
      await c.db.updateTable('users').set({ name: '=HYPERLINK("x")' }).where('id', '=', d.id).execute();
      const s1 = await held(c, room, '2025-11-03T09:00:00Z', { [a.id]: 'present', [b.id]: 'late', [d.id]: 'excused' });
      const s2 = await held(c, room, '2025-11-05T09:00:00Z', { [a.id]: 'present' });
      return { c, room, a, b, d, s1, s2 };
    }

    it('serves the grid: students × held sessions with statuses and percentages', async () => {
      const { c, room, a, b, d, s1, s2 } = await scene();
      const grid = await c.request({ method: 'GET', url: `/api/courses/${room.courseId}/grid`, token: room.teacherToken });
      expect(grid.statusCode, grid.body).toBe(200);
      const g = grid.json();
      expect(g.sessions.map((s: { id: string }) => s.id)).toEqual([s1, s2]);
      expect(g.sessions.map((s: { percentage: number }) => s.percentage)).toEqual([100, 33.3]);
      const row = (id: string) => g.students.find((s: { student: { id: string } }) => s.student.id === id);
      expect(row(a.id)).toMatchObject({ cells: ['present', 'present'], percentage: 100, belowThreshold: false });
      expect(row(b.id)).toMatchObject({ cells: ['late', 'absent'], percentage: 50, belowThreshold: true });
      expect(row(d.id)).toMatchObject({ cells: ['excused', 'absent'], percentage: 0 });
      const other = await userWithToken(c, 'teacher');
      expect((await c.request({ method: 'GET', url: `/api/courses/${room.courseId}/grid`, token: other.token })).statusCode).toBe(403);
      expect((await c.request({ method: 'GET', url: `/api/courses/nope/grid`, token: room.teacherToken })).statusCode).toBe(404);
    });

    it('orders a dozen held sessions by start, leaves out open and cancelled ones, and gives a student without records empty cells', async () => {
      const c = ctx();
      const room = await buildClassroom(c, 2);
      const [a, b] = room.students;
      const statuses = ['present', 'late', 'absent', 'excused'];
      // Created out of order: columns follow the start, not the creation.
      const days = [12, 3, 7, 1, 9, 11, 2, 5, 10, 4, 8, 6];
      const ids = new Map<number, string>();
      for (const [i, day] of days.entries()) {
        ids.set(day, await held(c, room, `2025-10-${String(day).padStart(2, '0')}T09:00:00Z`, { [a.id]: statuses[i % 4] }));
      }
      const open = await scheduleSession(c, room, -5, 60);
      expect((await c.request({ method: 'POST', url: `/api/sessions/${open}/open`, token: room.teacherToken, payload: {} })).statusCode).toBe(200);
      const cancelled = await scheduleSession(c, room, 60, 60);
      expect((await c.request({ method: 'POST', url: `/api/sessions/${cancelled}/cancel`, token: room.teacherToken, payload: { reason: 'ill' } })).statusCode).toBe(200);
      const late = (await buildClassroom(c, 1)).students[0];
      const enrol = await c.request({ method: 'POST', url: `/api/courses/${room.courseId}/enrollments`, token: room.teacherToken, payload: { studentIds: [late.id] } });
      expect(enrol.statusCode, enrol.body).toBeLessThan(300);

      const g = (await c.request({ method: 'GET', url: `/api/courses/${room.courseId}/grid`, token: room.teacherToken })).json();
      const sorted = [...days].sort((x, y) => x - y);
      expect(g.sessions.map((s: { id: string }) => s.id)).toEqual(sorted.map((d) => ids.get(d)));
      const row = (id: string) => g.students.find((s: { student: { id: string } }) => s.student.id === id);
      expect(row(a.id).cells).toEqual(sorted.map((d) => statuses[days.indexOf(d) % 4]));
      expect(row(b.id).cells).toEqual(sorted.map(() => 'absent'));
      expect(row(late.id)).toMatchObject({ cells: sorted.map(() => null), percentage: null });
    });

    it('exports the report as XLSX with real numbers and dates on the summary, grid and records sheets', async () => {
      const { c, room } = await scene();
      const res = await c.request({ method: 'GET', url: `/api/courses/${room.courseId}/report.xlsx`, token: room.teacherToken });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toContain('spreadsheetml');
      expect(res.headers['content-disposition']).toContain(`${room.courseCode}-attendance.xlsx`);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
      expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', 'Grid', 'Records']);

      const summary = wb.getWorksheet('Summary')!;
      expect(summary.getRow(1).values).toEqual([undefined, 'Student number', 'Name', 'Held', 'Present', 'Late', 'Absent', 'Excused', 'Attendance', 'Below threshold']);
      const byName = new Map<string, ExcelJS.Row>();
      summary.eachRow((row, n) => {
        if (n > 1 && typeof row.getCell(2).value === 'string') byName.set(row.getCell(2).value as string, row);
      });
      const brook = byName.get('Brook Taylor')!;
      expect(brook.getCell(3).value).toBe(2);
      expect(brook.getCell(5).value).toBe(1);
      expect(brook.getCell(8).value).toBe(0.5);
      expect(brook.getCell(8).type).toBe(ExcelJS.ValueType.Number);
      expect(brook.getCell(8).numFmt).toBe('0.0%');
      expect(brook.getCell(9).value).toBe(true);
      expect(byName.get('Ada Lovelace')!.getCell(8).value).toBe(1);
      // A name that looks like a formula stays text.
      expect([...byName.keys()].some((k) => k.includes('HYPERLINK'))).toBe(true);
      expect(summary.getColumn(2).values.some((v) => v !== null && typeof v === 'object' && 'formula' in v)).toBe(false);

      const grid = wb.getWorksheet('Grid')!;
      expect(grid.getRow(1).getCell(3).value).toBe('#1');
      const date = grid.getRow(2).getCell(3);
      expect(date.type).toBe(ExcelJS.ValueType.Date);
      expect((date.value as Date).toISOString().slice(0, 10)).toBe('2025-11-03');
      const gridRows = grid.getRows(3, 3)!.map((r) => [r.getCell(2).value, r.getCell(3).value, r.getCell(4).value, r.getCell(5).value]);
      expect(gridRows).toContainEqual(['Brook Taylor', 'L', 'A', 0.5]);

      const records = wb.getWorksheet('Records')!;
      expect(records.rowCount).toBe(1 + 6);
      const first = records.getRow(2);
      expect(first.getCell(1).value).toBe(1);
      expect(first.getCell(2).type).toBe(ExcelJS.ValueType.Date);
      // TIMEZONE is UTC in tests: the wall-clock time is the UTC time.
      expect((first.getCell(2).value as Date).toISOString()).toBe('2025-11-03T09:00:00.000Z');
    });

    it('exports the report as a PDF naming the course, the students and their percentages', async () => {
      const { c, room } = await scene();
      const res = await c.request({ method: 'GET', url: `/api/courses/${room.courseId}/report.pdf`, token: room.teacherToken });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
      const text = await pdfText(res.rawPayload);
      expect(text).toContain(room.courseCode);
      expect(text).toContain(`Course ${room.courseCode}`);
      expect(text).toContain('Ada Lovelace');
      expect(text).toContain('Brook Taylor');
      expect(text).toContain('100.0 %');
      expect(text).toContain('50.0 %');
      expect(text).toContain('Below threshold: 2');
      expect(text).toContain('Attendance per session');
    });

    it('prints a sign-in sheet with the roster, a signature column and the open session’s code', async () => {
      const c = ctx();
      const room = await buildClassroom(c, 2);
      const late = await buildUser(c.db, { role: 'student', name: 'Zed Last' });
      await c.request({ method: 'POST', url: `/api/courses/${room.courseId}/enrollments`, token: room.teacherToken, payload: { studentIds: [late.id] } });
      const sessionId = await scheduleSession(c, room, 10);
      const before = await c.request({ method: 'GET', url: `/api/sessions/${sessionId}/sheet.pdf`, token: room.teacherToken });
      expect(before.statusCode).toBe(200);
      expect(await pdfText(before.rawPayload)).toContain('not open');
      const { code } = await openWithCode(c, room, sessionId);
      const res = await c.request({ method: 'GET', url: `/api/sessions/${sessionId}/sheet.pdf`, token: room.teacherToken });
      expect(res.statusCode).toBe(200);
      const text = await pdfText(res.rawPayload);
      expect(text).toContain(room.courseCode);
      expect(text).toContain('Signature');
      expect(text).toContain('Zed Last');
      expect(text).toContain(late.studentNumber!);
      expect(text).toContain(code);
      // The QR is an embedded image.
      expect(res.rawPayload.includes(Buffer.from('/Subtype /Image'))).toBe(true);
      expect((await c.request({ method: 'GET', url: `/api/sessions/${sessionId}/sheet.pdf`, token: room.students[0].token })).statusCode).toBe(403);
    });

    it('answers a check-in (code and link) with the course attendance', async () => {
      const { c, room, a, b } = await scene();
      const live = await scheduleSession(c, room, -5);
      const { code } = await openWithCode(c, room, live, { methods: ['code', 'qr', 'link'] });
      const first = await c.request({ method: 'POST', url: '/api/checkin', token: a.token, payload: { code } });
      expect(first.statusCode, first.body).toBe(201);
      expect(first.json().attendance).toEqual({ percentage: 100, attended: 2, total: 2 });
      const again = await c.request({ method: 'POST', url: '/api/checkin', token: a.token, payload: { code } });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ alreadyCheckedIn: true, attendance: { percentage: 100, attended: 2, total: 2 } });
      const student = await c.db.selectFrom('users').select(['student_number', 'name']).where('id', '=', b.id).executeTakeFirstOrThrow();
      const link = await c.request({ method: 'POST', url: `/api/sessions/${live}/checkin/link`, payload: { code, studentNumber: student.student_number, name: student.name } });
      expect(link.statusCode, link.body).toBe(201);
      expect(link.json().attendance).toEqual({ percentage: 50, attended: 1, total: 2 });
    });

    it('gives admins an overview per department and course with a weekly trend and filters', async () => {
      const c = ctx();
      const admin = await userWithToken(c, 'admin');
      const dep = await c.request({ method: 'POST', url: '/api/departments', token: admin.token, payload: { code: `D${Date.now() % 100000}`, name: 'Physics' } });
      expect(dep.statusCode, dep.body).toBe(201);
      const { room, a, b } = await scene();
      await c.request({ method: 'PATCH', url: `/api/courses/${room.courseId}`, token: admin.token, payload: { departmentId: dep.json().id, term: '2025-autumn' } });
      await held(c, room, '2025-11-12T09:00:00Z', { [a.id]: 'present', [b.id]: 'present' });

      const res = await c.request({ method: 'GET', url: `/api/reports/overview?departmentId=${dep.json().id}`, token: admin.token });
      expect(res.statusCode, res.body).toBe(200);
      const o = res.json();
      expect(o.courses).toHaveLength(1);
      const course = o.courses[0];
      // Counted records: 2 + 3 + 3 (the excused one left out) = 7 of which 5 attended.
      expect(course).toMatchObject({ id: room.courseId, heldSessions: 3, students: 3, averagePercentage: 62.5 });
      expect(course.belowThreshold).toBe(2);
      expect(course.trend).toEqual([
        { week: '2025-11-03', percentage: 60 },
        { week: '2025-11-10', percentage: 66.7 },
      ]);
      expect(o.departments).toEqual([expect.objectContaining({ id: dep.json().id, name: 'Physics', heldSessions: 3, belowThreshold: 2 })]);
      expect(o.weekly).toEqual([
        { week: '2025-11-03', heldSessions: 2, percentage: 60 },
        { week: '2025-11-10', heldSessions: 1, percentage: 66.7 },
      ]);
      const ranged = (await c.request({ method: 'GET', url: `/api/reports/overview?departmentId=${dep.json().id}&from=2025-11-10&to=2025-11-30`, token: admin.token })).json();
      expect(ranged.courses[0]).toMatchObject({ heldSessions: 1, averagePercentage: 66.7 });
      const term = (await c.request({ method: 'GET', url: '/api/reports/overview?term=none-such', token: admin.token })).json();
      expect(term.courses).toEqual([]);
      expect((await c.request({ method: 'GET', url: '/api/reports/overview?from=2025-12-01&to=2025-11-01', token: admin.token })).statusCode).toBe(400);
      expect((await c.request({ method: 'GET', url: '/api/reports/overview?from=yesterday', token: admin.token })).statusCode).toBe(400);
      expect((await c.request({ method: 'GET', url: '/api/reports/overview', token: room.teacherToken })).statusCode).toBe(403);
      // A teacher's own courses (their home page): the same figures, for their courses only.
      const mine = (await c.request({ method: 'GET', url: '/api/reports/my-courses', token: room.teacherToken })).json();
      expect(mine.courses.map((x: { id: string }) => x.id)).toEqual([room.courseId]);
      expect(mine.courses[0]).toMatchObject({ heldSessions: 3, belowThreshold: 2 });
    });
  },
);
