import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { courseIdsTaughtBy } from '../courses/courses.repository.js';

type Db = Kysely<Database>;

/** Sessions that count toward percentages: held, i.e. closed. Open ones count once they close. */
export const HELD = 'closed' as const;

export async function heldSessionCount(db: Db, courseId: string): Promise<number> {
  const r = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('course_id', '=', courseId)
    .where('state', '=', HELD)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Per student and status, the count of records in the course's held sessions (one query). */
export function statusCountsByStudent(db: Db, courseId: string, studentId?: string) {
  let q = db
    .selectFrom('attendance_records')
    .innerJoin('sessions', 'sessions.id', 'attendance_records.session_id')
    .select(['attendance_records.student_id', 'attendance_records.status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('sessions.course_id', '=', courseId)
    .where('sessions.state', '=', HELD)
    .groupBy(['attendance_records.student_id', 'attendance_records.status']);
  if (studentId) q = q.where('attendance_records.student_id', '=', studentId);
  return q.execute();
}

export function enrolledStudents(db: Db, courseId: string) {
  return db
    .selectFrom('enrollments')
    .innerJoin('users', 'users.id', 'enrollments.student_id')
    .select(['users.id', 'users.name', 'users.student_number'])
    .where('enrollments.course_id', '=', courseId)
    .orderBy('users.name')
    .orderBy('users.id')
    .execute();
}

/** A student's records in a course's sessions (any state but cancelled), oldest first. */
export function studentRecordLines(db: Db, courseId: string, studentId: string) {
  return db
    .selectFrom('attendance_records')
    .innerJoin('sessions', 'sessions.id', 'attendance_records.session_id')
    .select([
      'sessions.id as session_id',
      'sessions.number',
      'sessions.kind',
      'sessions.title',
      'sessions.starts_at',
      'sessions.state as session_state',
      'attendance_records.status',
      'attendance_records.state',
      'attendance_records.method',
      'attendance_records.checked_in_at',
    ])
    .where('sessions.course_id', '=', courseId)
    .where('sessions.state', '!=', 'cancelled')
    .where('attendance_records.student_id', '=', studentId)
    .orderBy('sessions.starts_at')
    .execute();
}

/** One page of the course's records for the CSV export, in (session start, record id) order. */
export function recordsPage(db: Db, courseId: string, after: { startsAt: string; id: string } | null, limit: number) {
  let q = db
    .selectFrom('attendance_records')
    .innerJoin('sessions', 'sessions.id', 'attendance_records.session_id')
    .innerJoin('users', 'users.id', 'attendance_records.student_id')
    .select([
      'attendance_records.id',
      'sessions.starts_at',
      'sessions.number',
      'sessions.kind',
      'users.student_number',
      'users.name',
      'attendance_records.status',
      'attendance_records.state',
      'attendance_records.method',
      'attendance_records.checked_in_at',
      'attendance_records.note',
      'attendance_records.flags',
    ])
    .where('sessions.course_id', '=', courseId)
    .where('sessions.state', '!=', 'cancelled')
    .orderBy('sessions.starts_at')
    .orderBy('attendance_records.id')
    .limit(limit);
  if (after) {
    q = q.where((eb) =>
      eb.or([
        eb('sessions.starts_at', '>', after.startsAt),
        eb.and([eb('sessions.starts_at', '=', after.startsAt), eb('attendance_records.id', '>', after.id)]),
      ]),
    );
  }
  return q.execute();
}

/** The course's held (closed) sessions, oldest first. */
export function heldSessions(db: Db, courseId: string) {
  return db
    .selectFrom('sessions')
    .select(['id', 'number', 'title', 'starts_at'])
    .where('course_id', '=', courseId)
    .where('state', '=', HELD)
    .orderBy('starts_at')
    .orderBy('id')
    .execute();
}

/** Every record of the course's held sessions: (session, student, status), for the grid. */
export function heldRecordCells(db: Db, courseId: string) {
  return db
    .selectFrom('attendance_records')
    .innerJoin('sessions', 'sessions.id', 'attendance_records.session_id')
    .select(['attendance_records.session_id', 'attendance_records.student_id', 'attendance_records.status'])
    .where('sessions.course_id', '=', courseId)
    .where('sessions.state', '=', HELD)
    .execute();
}

export interface OverviewFilter {
  departmentId?: string;
  term?: string;
  /** Only the courses this teacher teaches. */
  teacherId?: string;
  /** UTC bounds on session start. */
  fromUtc?: string;
  toUtc?: string;
}

/** The courses the overview covers, with their department. */
export function overviewCourses(db: Db, f: OverviewFilter) {
  let q = db
    .selectFrom('courses')
    .leftJoin('departments', 'departments.id', 'courses.department_id')
    .select([
      'courses.id',
      'courses.code',
      'courses.name',
      'courses.department_id',
      'courses.term',
      'courses.threshold_percent',
      'departments.code as department_code',
      'departments.name as department_name',
    ])
    .orderBy('courses.code');
  if (f.departmentId) q = q.where('courses.department_id', '=', f.departmentId);
  if (f.term) q = q.where('courses.term', '=', f.term);
  if (f.teacherId) q = q.where('courses.id', 'in', courseIdsTaughtBy(db, f.teacherId));
  return q.execute();
}

function heldInRange(db: Db, f: OverviewFilter) {
  let q = db
    .selectFrom('sessions')
    .innerJoin('courses', 'courses.id', 'sessions.course_id')
    .where('sessions.state', '=', HELD);
  if (f.departmentId) q = q.where('courses.department_id', '=', f.departmentId);
  if (f.term) q = q.where('courses.term', '=', f.term);
  if (f.teacherId) q = q.where('courses.id', 'in', courseIdsTaughtBy(db, f.teacherId));
  if (f.fromUtc) q = q.where('sessions.starts_at', '>=', f.fromUtc);
  if (f.toUtc) q = q.where('sessions.starts_at', '<', f.toUtc);
  return q;
}

/** Per held session in range: its course, start and the count of each status (the weekly trend). */
export function overviewSessionCounts(db: Db, f: OverviewFilter) {
  return heldInRange(db, f)
    .leftJoin('attendance_records', 'attendance_records.session_id', 'sessions.id')
    .select(['sessions.id', 'sessions.course_id', 'sessions.starts_at', 'attendance_records.status', (eb) => eb.fn.count<number>('attendance_records.id').as('n')])
    .groupBy(['sessions.id', 'sessions.course_id', 'sessions.starts_at', 'attendance_records.status'])
    .execute();
}

/** Per course × student × status in range: the count of records (for percentages and below-threshold counts). */
export function overviewStudentCounts(db: Db, f: OverviewFilter) {
  return heldInRange(db, f)
    .innerJoin('attendance_records', 'attendance_records.session_id', 'sessions.id')
    .select(['sessions.course_id', 'attendance_records.student_id', 'attendance_records.status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['sessions.course_id', 'attendance_records.student_id', 'attendance_records.status'])
    .execute();
}
