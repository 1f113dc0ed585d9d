import { Readable, pipeline } from 'node:stream';
import { stringify, type Options as StringifyOptions } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import QRCode from 'qrcode';
import { AppError, notFound } from '../../errors.js';
import { findCourseById } from '../courses/courses.repository.js';
import { assertSessionStaff, codeOf } from '../live-sessions/live-sessions.service.js';
import { courseReportPdf, courseReportXlsx, signInSheetPdf, type SignInSheet } from './report-files.js';
import type { AttendanceStats, CourseGrid, CourseReport, MyAttendance, Overview, OverviewQuery } from '../../../common/report.schemas.js';
import type { Database } from '../../db/database.js';
import { listCourses } from '../courses/courses.repository.js';
import { assertCourseStaff, assertCanViewCourse, type Actor } from '../courses/courses.service.js';
import { addDays, isoWeekday, localDateOf, localToUtc } from '../../lib/timezone.js';
import {
  enrolledStudents,
  heldGrid,
  overviewCourses,
  overviewSessions,
  StudentCells,
  recordsPage,
  statusCountsByStudent,
  studentRecordLines,
  type OverviewFilter,
} from './reports.repository.js';

type RecordsPageRow = Awaited<ReturnType<typeof recordsPage>>[number];

type Db = Kysely<Database>;
type Counts = Record<'present' | 'late' | 'absent' | 'excused', number>;

const emptyCounts = (): Counts => ({ present: 0, late: 0, absent: 0, excused: 0 });

/**
 * The figures for one student over their records in held sessions. Closing a session gives every
 * enrolled student a record (absent when they never checked in), so the records are exactly the
 * held sessions the student was enrolled for; one held before they joined does not count against
 * them. `attended` is present + late; excused sessions leave the denominator.
 */
export function statsOf(c: Counts, thresholdPercent: number): AttendanceStats {
  const total = c.present + c.late + c.absent + c.excused;
  const attended = c.present + c.late;
  const counted = total - c.excused;
  const percentage = counted > 0 ? Math.round((attended / counted) * 1000) / 10 : null;
  return { total, attended, ...c, percentage, belowThreshold: percentage !== null && percentage < thresholdPercent };
}

function countsByStudent(rows: { student_id: string; status: keyof Counts; n: number | string }[]) {
  const map = new Map<string, Counts>();
  for (const r of rows) {
    let c = map.get(r.student_id);
    if (!c) map.set(r.student_id, (c = emptyCounts()));
    c[r.status] += Number(r.n);
  }
  return map;
}

/** The student's own attendance per enrolled course (API: GET /api/me/attendance). */
export async function myAttendance(db: Db, actor: Actor, courseId?: string): Promise<MyAttendance> {
  const courses = courseId
    ? [await assertCanViewCourse(db, actor, courseId)]
    : (await listCourses(db, { studentId: actor.userId, limit: 10_000 })).rows;
  const items = await Promise.all(
    courses.map(async (course) => {
      const threshold = course.threshold_percent;
      const [counts, lines] = await Promise.all([
        statusCountsByStudent(db, course.id, actor.userId),
        studentRecordLines(db, course.id, actor.userId),
      ]);
      return {
        course: { id: course.id, code: course.code, name: course.name, thresholdPercent: threshold },
        ...statsOf(countsByStudent(counts).get(actor.userId) ?? emptyCounts(), threshold),
        records: lines.map((l) => ({
          sessionId: l.session_id,
          kind: l.kind,
          number: l.number,
          title: l.title,
          startsAt: l.starts_at,
          status: l.status,
          state: l.state,
          method: l.method,
          checkedInAt: l.checked_in_at,
          counted: l.session_state === 'closed',
        })),
      };
    }),
  );
  return { items };
}

type CourseRow = Awaited<ReturnType<typeof assertCourseStaff>>;

/** What the course report and the grid are made of: the held sessions with every record in them, and the enrolled students. */
async function loadCourseGrid(db: Db, courseId: string) {
  const [grid, students] = await Promise.all([heldGrid(db, courseId), enrolledStudents(db, courseId)]);
  return { ...grid, students };
}
type LoadedGrid = Awaited<ReturnType<typeof loadCourseGrid>>;

const courseHeader = (course: CourseRow) => ({ id: course.id, code: course.code, name: course.name, thresholdPercent: course.threshold_percent });

function countsOf(cells: readonly (keyof Counts | null)[] | undefined): Counts {
  const counts = emptyCounts();
  if (cells) for (const status of cells) if (status) counts[status]++;
  return counts;
}

function reportOf(course: CourseRow, { sessions, byStudent, students }: LoadedGrid): CourseReport {
  const items = students
    .map((s) => ({
      student: { id: s.id, name: s.name, studentNumber: s.student_number },
      ...statsOf(countsOf(byStudent.get(s.id)), course.threshold_percent),
    }))
    .sort((a, b) => (a.percentage ?? 101) - (b.percentage ?? 101) || a.student.name.localeCompare(b.student.name));
  const withPct = items.filter((i) => i.percentage !== null);
  return {
    course: courseHeader(course),
    sessions: sessions.length,
    items,
    summary: {
      students: items.length,
      averagePercentage: withPct.length ? Math.round((withPct.reduce((s, i) => s + i.percentage!, 0) / withPct.length) * 10) / 10 : null,
      belowThreshold: items.filter((i) => i.belowThreshold).length,
    },
  };
}

/** Every enrolled student's figures in one course, lowest percentage first (the teacher's report). */
export async function courseReport(db: Db, actor: Actor, courseId: string): Promise<CourseReport> {
  const course = await assertCourseStaff(db, actor, courseId);
  return reportOf(course, await loadCourseGrid(db, courseId));
}

/**
 * CSV through csv-stringify: CRLF lines, and a cell that a spreadsheet would read as a formula
 * (=, +, -, @ …) is prefixed with a quote.
 */
const csvOptions = (columns: string[]): StringifyOptions => ({
  header: true,
  columns,
  record_delimiter: 'windows',
  escape_formulas: true,
  cast: { boolean: (b) => String(b) },
});

/** The course report as CSV. */
export function courseReportCsv(report: CourseReport): string {
  return stringifySync(
    report.items.map((i) => [i.student.studentNumber, i.student.name, i.total, i.present, i.late, i.absent, i.excused, i.percentage, i.belowThreshold]),
    csvOptions(['studentNumber', 'name', 'held', 'present', 'late', 'absent', 'excused', 'percentage', 'belowThreshold']),
  );
}

/**
 * Every record of the course in (session start, record id) order, read in pages of `pageSize`
 * (keyset), one page at a time as the reader takes them: memory stays flat however large the history.
 */
export async function* courseRecordRows(db: Db, courseId: string, pageSize = 1000): AsyncGenerator<RecordsPageRow> {
  let after: { startsAt: string; id: string } | null = null;
  for (;;) {
    const rows = await recordsPage(db, courseId, after, pageSize);
    yield* rows;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1];
    after = { startsAt: last.starts_at, id: last.id };
  }
}

/** Every record of the course as a CSV stream (authorised before the first byte). */
export async function courseRecordsCsv(db: Db, actor: Actor, courseId: string, pageSize = 1000): Promise<Readable> {
  await assertCourseStaff(db, actor, courseId);
  async function* lines() {
    for await (const r of courseRecordRows(db, courseId, pageSize)) {
      yield [r.number, r.starts_at, r.student_number, r.name, r.status, r.state, r.method, r.checked_in_at, r.note, (JSON.parse(r.flags) as string[]).join(' ')];
    }
  }
  const csv = stringify(csvOptions(['sessionNumber', 'startsAt', 'studentNumber', 'name', 'status', 'state', 'method', 'checkedInAt', 'note', 'flags']));
  // pipeline (not pipe) so a database error midway ends the download instead of hanging it.
  pipeline(Readable.from(lines()), csv, () => {});
  return csv;
}

const percentOf = (attended: number, counted: number) => (counted > 0 ? Math.round((attended / counted) * 1000) / 10 : null);

function gridOf(course: CourseRow, { sessions, byStudent, students }: LoadedGrid): CourseGrid {
  // Per session over every record in it, a student no longer enrolled included (as the reports count).
  const perSession = sessions.map(() => ({ attended: 0, counted: 0 }));
  for (const cells of byStudent.slots()) {
    for (let j = 0; j < cells.length; j++) {
      const status = cells[j];
      if (!status || status === 'excused') continue;
      perSession[j].counted++;
      if (status === 'present' || status === 'late') perSession[j].attended++;
    }
  }
  return {
    course: courseHeader(course),
    sessions: sessions.map((s, j) => ({
      id: s.id,
      number: s.number,
      title: s.title,
      startsAt: s.starts_at,
      percentage: percentOf(perSession[j].attended, perSession[j].counted),
    })),
    students: students.map((s) => {
      const cells = byStudent.get(s.id) ?? new Array<keyof Counts | null>(sessions.length).fill(null);
      const stats = statsOf(countsOf(cells), course.threshold_percent);
      return {
        student: { id: s.id, name: s.name, studentNumber: s.student_number },
        cells,
        percentage: stats.percentage,
        belowThreshold: stats.belowThreshold,
      };
    }),
  };
}

/** Students × held sessions (API: GET /api/courses/:id/grid): the heat-map of the course report. */
export async function courseGrid(db: Db, actor: Actor, courseId: string): Promise<CourseGrid> {
  const course = await assertCourseStaff(db, actor, courseId);
  return gridOf(course, await loadCourseGrid(db, courseId));
}

/** The report and the grid from one read (the exports carry both). */
async function courseReportAndGrid(db: Db, actor: Actor, courseId: string) {
  const course = await assertCourseStaff(db, actor, courseId);
  const loaded = await loadCourseGrid(db, courseId);
  return { report: reportOf(course, loaded), grid: gridOf(course, loaded) };
}

interface Tally {
  attended: number;
  counted: number;
}
const addStatus = (t: Tally, status: string | null, n: number) => {
  if (!status || status === 'excused') return;
  t.counted += n;
  if (status === 'present' || status === 'late') t.attended += n;
};

/**
 * Institution figures (API: GET /api/reports/overview) over held sessions starting in [from, to]
 * (local dates in `timeZone`): per course, per department and in total — held sessions, the share of
 * counted records attended, students (counted per course) and how many are below their course's
 * threshold — with attendance per week (weeks start on Monday, local).
 */
export async function reportsOverview(db: Db, timeZone: string, q: OverviewQuery, teacherId?: string): Promise<Overview> {
  const f: OverviewFilter = {
    teacherId,
    departmentId: q.departmentId,
    term: q.term,
    fromUtc: q.from ? localToUtc(q.from, '00:00', timeZone).toISOString() : undefined,
    toUtc: q.to ? localToUtc(addDays(q.to, 1), '00:00', timeZone).toISOString() : undefined,
  };
  const [courses, heldSessions] = await Promise.all([overviewCourses(db, f), overviewSessions(db, f)]);
  const weekOf = (iso: string) => {
    const d = localDateOf(new Date(iso), timeZone);
    return addDays(d, 1 - isoWeekday(d));
  };
  const perCourse = new Map(
    courses.map((c) => [
      c.id,
      {
        sessions: new Set<string>(),
        tally: { attended: 0, counted: 0 },
        weeks: new Map<string, Tally>(),
        byStudent: new StudentCells<Counts>(emptyCounts),
        students: 0,
        below: 0,
      },
    ]),
  );
  const weekly = new Map<string, { sessions: Set<string>; tally: Tally }>();
  const add = (into: Tally, t: Tally) => {
    into.attended += t.attended;
    into.counted += t.counted;
  };
  for (const r of heldSessions) {
    const c = perCourse.get(r.course_id);
    if (!c) continue;
    const session: Tally = { attended: 0, counted: 0 };
    c.byStudent.read(r.cells, (counts, status) => {
      addStatus(session, status, 1);
      counts[status]++;
    });
    const week = weekOf(r.starts_at);
    c.sessions.add(r.id);
    add(c.tally, session);
    let cw = c.weeks.get(week);
    if (!cw) c.weeks.set(week, (cw = { attended: 0, counted: 0 }));
    add(cw, session);
    let w = weekly.get(week);
    if (!w) weekly.set(week, (w = { sessions: new Set(), tally: { attended: 0, counted: 0 } }));
    w.sessions.add(r.id);
    add(w.tally, session);
  }
  for (const course of courses) {
    const c = perCourse.get(course.id)!;
    c.students = c.byStudent.byId.size;
    for (const counts of c.byStudent.slots()) if (statsOf(counts, course.threshold_percent).belowThreshold) c.below++;
  }
  const weeks = [...weekly.keys()].sort();
  const courseItems = courses.map((c) => {
    const p = perCourse.get(c.id)!;
    return {
      id: c.id,
      code: c.code,
      name: c.name,
      departmentId: c.department_id,
      term: c.term,
      thresholdPercent: c.threshold_percent,
      heldSessions: p.sessions.size,
      averagePercentage: percentOf(p.tally.attended, p.tally.counted),
      students: p.students,
      belowThreshold: p.below,
      trend: weeks.map((week) => {
        const t = p.weeks.get(week);
        return { week, percentage: t ? percentOf(t.attended, t.counted) : null };
      }),
    };
  });
  const sum = (items: { id: string }[]) => {
    const tally = { attended: 0, counted: 0 };
    let held = 0;
    let students = 0;
    let below = 0;
    for (const i of items) {
      const p = perCourse.get(i.id)!;
      tally.attended += p.tally.attended;
      tally.counted += p.tally.counted;
      held += p.sessions.size;
      students += p.students;
      below += p.below;
    }
    return { heldSessions: held, averagePercentage: percentOf(tally.attended, tally.counted), students, belowThreshold: below };
  };
  const departments = new Map<string | null, { code: string | null; name: string; courses: { id: string }[] }>();
  for (const c of courses) {
    let d = departments.get(c.department_id);
    if (!d) departments.set(c.department_id, (d = { code: c.department_code ?? null, name: c.department_name ?? 'No department', courses: [] }));
    d.courses.push(c);
  }
  return {
    from: q.from ?? null,
    to: q.to ?? null,
    totals: sum(courses),
    departments: [...departments.entries()]
      .map(([id, d]) => ({ id, code: d.code, name: d.name, ...sum(d.courses) }))
      .sort((a, b) => (a.id === null ? 1 : b.id === null ? -1 : a.name.localeCompare(b.name))),
    courses: courseItems,
    weekly: weeks.map((week) => {
      const w = weekly.get(week)!;
      return { week, heldSessions: w.sessions.size, percentage: percentOf(w.tally.attended, w.tally.counted) };
    }),
  };
}

/** The course report as XLSX (summary, grid, records), authorised and loaded before the first byte. */
export async function courseReportXlsxFile(db: Db, actor: Actor, courseId: string, timeZone: string, onError: (err: unknown) => void) {
  const { report, grid } = await courseReportAndGrid(db, actor, courseId);
  return { course: report.course, stream: courseReportXlsx(report, grid, courseRecordRows(db, courseId), timeZone, onError) };
}

/** The course report as a printable PDF. */
export async function courseReportPdfFile(db: Db, actor: Actor, courseId: string, timeZone: string) {
  const { report, grid } = await courseReportAndGrid(db, actor, courseId);
  return { course: report.course, stream: courseReportPdf(report, grid, timeZone) };
}

/** A session's paper sign-in sheet: roster, signature column, and (when open) its current QR and code. */
export async function signInSheetFile(app: FastifyInstance, actor: Actor, sessionId: string) {
  const session = await assertSessionStaff(app.db, actor, sessionId);
  if (session.state === 'cancelled') throw new AppError(409, 'invalid_state', 'Invalid session state', 'The session was cancelled.');
  const [course, students] = await Promise.all([findCourseById(app.db, session.course_id), enrolledStudents(app.db, session.course_id)]);
  if (!course) throw notFound('Course');
  let code: SignInSheet['code'] = null;
  if (session.state === 'open') {
    const c = codeOf(app, session);
    code = { code: c.code, url: c.url, expiresAt: c.expiresAt.toISOString(), qrPng: await QRCode.toBuffer(c.url, { type: 'png', margin: 1, width: 360 }) };
  }
  const stream = signInSheetPdf(
    {
      course: { code: course.code, name: course.name },
      session: { number: session.number, title: session.title, startsAt: session.starts_at, endsAt: session.ends_at, venue: session.venue },
      students: students.map((s) => ({ name: s.name, studentNumber: s.student_number })),
      code,
    },
    app.config.TIMEZONE,
  );
  return { course, session, stream };
}
