import type { Kysely } from 'kysely';
import type { CheckinAttendance } from '../../../common/report.schemas.js';
import type { Database } from '../../db/database.js';
import { hotQuery } from '../../db/hot-query.js';
import { HELD, sessionStateUnindexed } from './reports.repository.js';

/** The student's count of records per status in the course's held sessions. Exported for the test that examines its plan. */
export function studentStatusCountsQuery(db: Kysely<Database>, courseId: string, studentId: string) {
  return db
    .selectFrom('attendance_records')
    .innerJoin('sessions', 'sessions.id', 'attendance_records.session_id')
    .select(['attendance_records.status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('attendance_records.student_id', '=', studentId)
    .where('sessions.course_id', '=', courseId)
    .where(sessionStateUnindexed, '=', HELD)
    .groupBy('attendance_records.status');
}

/** A hot query: one per check-in. */
const studentStatusCounts = hotQuery(studentStatusCountsQuery);

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
