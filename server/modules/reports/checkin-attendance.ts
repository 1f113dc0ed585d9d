import type { Kysely } from 'kysely';
import type { CheckinAttendance } from '../../../common/report.schemas.js';
import type { Database } from '../../db/database.js';
import { hotQuery } from '../../db/hot-query.js';
import { statusCountsByStudentQuery } from './reports.repository.js';

/**
 * The student's counts per status in the course's held sessions, as their own page reads them: a hot
 * query, one per check-in. The student is always given, so the compiled statement always has their
 * condition (hotQuery compiles once, with a placeholder in its place).
 */
const studentStatusCounts = hotQuery((db: Kysely<Database>, courseId: string, studentId: string) => statusCountsByStudentQuery(db, courseId, studentId));

/**
 * The student's attendance in one course as the check-in responses carry it (seed 003's success
 * page): over held sessions, like every figure in Rollbook, so the session being checked into counts
 * once it closes. One grouped query on the check-in path.
 */
export async function checkinAttendance(db: Kysely<Database>, courseId: string, studentId: string): Promise<CheckinAttendance> {
  const c = { present: 0, late: 0, absent: 0, excused: 0 };
  for (const r of (await studentStatusCounts(db, courseId, studentId)).rows) c[r.status] += Number(r.n);
  return attendanceOf(c);
}

/** The figure from the student's counts per status in the course's held sessions. */
export function attendanceOf(c: { present: number; late: number; absent: number; excused: number }): CheckinAttendance {
  const total = c.present + c.late + c.absent + c.excused;
  const attended = c.present + c.late;
  const counted = total - c.excused;
  return { percentage: counted > 0 ? Math.round((attended / counted) * 1000) / 10 : null, attended, total };
}
