import type { Kysely } from 'kysely';
import type { AttendanceStats, CourseReport, MyAttendance } from '../../../common/report.schemas.js';
import type { Database } from '../../db/database.js';
import { listCourses } from '../courses/courses.repository.js';
import { assertCourseStaff, assertCanViewCourse, type Actor } from '../courses/courses.service.js';
import { enrolledStudents, heldSessionCount, recordsPage, statusCountsByStudent, studentRecordLines } from './reports.repository.js';

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

/** Every enrolled student's figures in one course, lowest percentage first (the teacher's report). */
export async function courseReport(db: Db, actor: Actor, courseId: string): Promise<CourseReport> {
  const course = await assertCourseStaff(db, actor, courseId);
  const [held, counts, students] = await Promise.all([
    heldSessionCount(db, courseId),
    statusCountsByStudent(db, courseId),
    enrolledStudents(db, courseId),
  ]);
  const byStudent = countsByStudent(counts);
  const items = students
    .map((s) => ({
      student: { id: s.id, name: s.name, studentNumber: s.student_number },
      ...statsOf(byStudent.get(s.id) ?? emptyCounts(), course.threshold_percent),
    }))
    .sort((a, b) => (a.percentage ?? 101) - (b.percentage ?? 101) || a.student.name.localeCompare(b.student.name));
  const withPct = items.filter((i) => i.percentage !== null);
  return {
    course: { id: course.id, code: course.code, name: course.name, thresholdPercent: course.threshold_percent },
    sessions: held,
    items,
    summary: {
      students: items.length,
      averagePercentage: withPct.length ? Math.round((withPct.reduce((s, i) => s + i.percentage!, 0) / withPct.length) * 10) / 10 : null,
      belowThreshold: items.filter((i) => i.belowThreshold).length,
    },
  };
}

/** A CSV cell: quoted when needed, and never read as a formula by a spreadsheet. */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const csvLine = (cells: unknown[]) => cells.map(csvCell).join(',') + '\r\n';

/** The course report as CSV lines. */
export function courseReportCsv(report: CourseReport): string {
  return (
    csvLine(['studentNumber', 'name', 'held', 'present', 'late', 'absent', 'excused', 'percentage', 'belowThreshold']) +
    report.items
      .map((i) => csvLine([i.student.studentNumber, i.student.name, i.total, i.present, i.late, i.absent, i.excused, i.percentage, i.belowThreshold]))
      .join('')
  );
}

/**
 * Every record of the course as CSV, read in pages of `pageSize` (keyset on session start + id),
 * so memory stays flat however large the course's history is.
 */
export async function* courseRecordsCsv(db: Db, actor: Actor, courseId: string, pageSize = 1000): AsyncGenerator<string> {
  await assertCourseStaff(db, actor, courseId);
  yield csvLine(['sessionNumber', 'startsAt', 'studentNumber', 'name', 'status', 'state', 'method', 'checkedInAt', 'note', 'flags']);
  let after: { startsAt: string; id: string } | null = null;
  for (;;) {
    const rows = await recordsPage(db, courseId, after, pageSize);
    if (rows.length === 0) return;
    let chunk = '';
    for (const r of rows) {
      const flags = (JSON.parse(r.flags) as string[]).join(' ');
      chunk += csvLine([r.number, r.starts_at, r.student_number, r.name, r.status, r.state, r.method, r.checked_in_at, r.note, flags]);
    }
    yield chunk;
    const last = rows[rows.length - 1];
    after = { startsAt: last.starts_at, id: last.id };
    if (rows.length < pageSize) return;
  }
}
