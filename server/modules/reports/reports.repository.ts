import { PostgresAdapter, sql, type Kysely } from 'kysely';
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

/** One character per status in the grid query's aggregate (their first letters are distinct). */
const STATUS_BY_LETTER = { p: 'present', l: 'late', a: 'absent', e: 'excused' } as const;
export type CellStatus = (typeof STATUS_BY_LETTER)[keyof typeof STATUS_BY_LETTER];

/**
 * A session's records as one aggregated string, "<student id><status letter>,…" (see `cellsOf`):
 * reports that need every record of many sessions read one row per session instead of one per
 * record — turning 30,000 rows into JavaScript objects took about 100 ms, the aggregate about 20.
 */
function recordCells(db: Db) {
  const cell = sql`attendance_records.student_id || substr(attendance_records.status, 1, 1)`;
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return postgres ? sql<string | null>`string_agg(${cell}, ',')` : sql<string | null>`group_concat(${cell}, ',')`;
}

/** The (student id, status) pairs of a `recordCells` aggregate. */
export function* cellsOf(cells: string | null): Generator<[string, CellStatus]> {
  if (!cells) return;
  for (const entry of cells.split(',')) yield [entry.slice(0, -1), STATUS_BY_LETTER[entry.slice(-1) as keyof typeof STATUS_BY_LETTER]];
}

/**
 * The course's held (closed) sessions, oldest first, and every record in them: the grid. One
 * statement, so the columns and the cells come from the same snapshot.
 */
export async function heldGrid(db: Db, courseId: string) {
  const rows = await db
    .selectFrom('sessions')
    .leftJoin('attendance_records', 'attendance_records.session_id', 'sessions.id')
    .select(['sessions.id', 'sessions.number', 'sessions.title', 'sessions.starts_at', recordCells(db).as('cells')])
    .where('sessions.course_id', '=', courseId)
    .where('sessions.state', '=', HELD)
    .groupBy('sessions.id')
    .orderBy('sessions.starts_at')
    .orderBy('sessions.id')
    .execute();
  const byStudent = new Map<string, (CellStatus | null)[]>();
  rows.forEach((session, j) => {
    for (const [studentId, status] of cellsOf(session.cells)) {
      let row = byStudent.get(studentId);
      if (!row) byStudent.set(studentId, (row = new Array<CellStatus | null>(rows.length).fill(null)));
      row[j] = status;
    }
  });
  return { sessions: rows.map(({ cells: _, ...s }) => s), byStudent };
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

/** Each held session in range: its course, start and records (a `recordCells` aggregate: see `cellsOf`). */
export function overviewSessions(db: Db, f: OverviewFilter) {
  return heldInRange(db, f)
    .leftJoin('attendance_records', 'attendance_records.session_id', 'sessions.id')
    .select(['sessions.id', 'sessions.course_id', 'sessions.starts_at', recordCells(db).as('cells')])
    .groupBy('sessions.id')
    .execute();
}
