import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { readHeavy } from '../../db/sqlite-readers.js';
import { courseIdsTaughtBy } from '../courses/courses.repository.js';

type Db = Kysely<Database>;

/** Sessions that count toward percentages: held, i.e. closed. Open ones count once they close. */
export const HELD = 'closed' as const;

/**
 * `sessions.state` for comparing with HELD in a student's counts: as `state || ''`, so that no
 * planner finds a course's held sessions by an index led by the state — every closed session of
 * the school, a walk that grows with its history — but by the course or the student's records.
 * (PostgreSQL's planner, on a database without statistics yet, took that index even with the
 * course's (course_id, state) one there: test/history-scale.test.ts.)
 */
const sessionStateUnindexed = sql<string>`${sql.ref('sessions.state')} || ''`;

/** Per student and status, the count of records in the course's held sessions (one query). */
export function statusCountsByStudent(db: Db, courseId: string, studentId?: string) {
  return statusCountsByStudentQuery(db, courseId, studentId).execute();
}

/** statusCountsByStudent's query (also the check-in reply's figure: checkin-attendance.ts); exported for the test that examines its plan. */
export function statusCountsByStudentQuery(db: Db, courseId: string, studentId?: string) {
  let q = db
    .selectFrom('attendance_records')
    .innerJoin('sessions', 'sessions.id', 'attendance_records.session_id')
    .select(['attendance_records.student_id', 'attendance_records.status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('sessions.course_id', '=', courseId)
    .where(sessionStateUnindexed, '=', HELD)
    .groupBy(['attendance_records.student_id', 'attendance_records.status']);
  if (studentId) q = q.where('attendance_records.student_id', '=', studentId);
  return q;
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

/** A status by its first letter (the four first letters are distinct). */
const STATUS_BY_LETTER = { p: 'present', l: 'late', a: 'absent', e: 'excused' } as const;
export type CellStatus = (typeof STATUS_BY_LETTER)[keyof typeof STATUS_BY_LETTER];

/**
 * A session's records as one string from one subquery per session: the student ids comma-separated,
 * `|`, then one status letter per record in the same order (read with `StudentCells`). Reports that
 * need every record of many sessions read one row per session instead of one per record: turning
 * 30,000 rows into JavaScript objects took about 60 ms; a join with GROUP BY sorted all 30,000 rows
 * in a temporary b-tree (22 ms on SQLite at 500 × 60); the subquery walks each session's records in
 * an index instead, once for both aggregates (two subqueries cost 15 ms, one 13). `student_id > ''`
 * (true of every id) makes both databases walk the (session, student, status) index, which holds
 * everything read here (no look-up of each record in the table: 13 → 8 ms), so sessions with the
 * same students list them in the same order, and `StudentCells` recognises the list instead of
 * cutting it up again.
 */
function recordCells(db: Db) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const agg = (value: ReturnType<typeof sql>, separator: string) =>
    postgres ? sql`string_agg(${value}, ${sql.lit(separator)})` : sql`group_concat(${value}, ${sql.lit(separator)})`;
  return sql<string | null>`(select ${agg(sql`r.student_id`, ',')} || '|' || ${agg(sql`substr(r.status, 1, 1)`, '')} from attendance_records r where r.session_id = ${sql.ref('sessions.id')} and r.student_id > '')`;
}

/**
 * Reads `recordCells` aggregates, session after session, into one slot per student (made by
 * `create`). A session whose student list is the previous one's (the usual case: closing a session
 * gives every enrolled student a record) reuses its slots without cutting the list up or looking
 * anybody up again.
 */
export class StudentCells<T> {
  readonly byId = new Map<string, { id: string; slot: T }>();
  private previousList: string | null = null;
  private previous: T[] = [];

  constructor(private readonly create: (studentId: string) => T) {}

  /** Calls `f` with the slot and status of each record of one session's aggregate. */
  read(cells: string | null, f: (slot: T, status: CellStatus) => void): void {
    if (!cells) return;
    // Status letters never contain `|`: the last one separates the two lists.
    const bar = cells.lastIndexOf('|');
    const students = cells.slice(0, bar);
    const statuses = cells.slice(bar + 1);
    if (students !== this.previousList) {
      this.previous = students.split(',').map((id) => {
        let entry = this.byId.get(id);
        if (!entry) this.byId.set(id, (entry = { id, slot: this.create(id) }));
        return entry.slot;
      });
      this.previousList = students;
    }
    const slots = this.previous;
    if (slots.length !== statuses.length) throw new Error(`A report aggregate has ${slots.length} students but ${statuses.length} statuses`);
    for (let k = 0; k < slots.length; k++) f(slots[k], STATUS_BY_LETTER[statuses[k] as keyof typeof STATUS_BY_LETTER]);
  }

  get(studentId: string): T | undefined {
    return this.byId.get(studentId)?.slot;
  }

  *slots(): IterableIterator<T> {
    for (const e of this.byId.values()) yield e.slot;
  }
}

/**
 * The course's held (closed) sessions, oldest first, and every record in them: the grid. One
 * statement, so the columns and the cells come from the same snapshot.
 */
export async function heldGrid(db: Db, courseId: string) {
  const rows = await readHeavy(
    db,
    db
      .selectFrom('sessions')
      .select(['sessions.id', 'sessions.number', 'sessions.title', 'sessions.starts_at', recordCells(db).as('cells')])
      .where('sessions.course_id', '=', courseId)
      .where('sessions.state', '=', HELD)
      .orderBy('sessions.starts_at')
      .orderBy('sessions.id'),
  );
  const byStudent = new StudentCells(() => new Array<CellStatus | null>(rows.length).fill(null));
  rows.forEach((session, j) => byStudent.read(session.cells, (row, status) => (row[j] = status)));
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

/** Each held session in range: its course, start and records (a `recordCells` aggregate: see `StudentCells`). */
export function overviewSessions(db: Db, f: OverviewFilter) {
  return readHeavy(db, heldInRange(db, f).select(['sessions.id', 'sessions.course_id', 'sessions.starts_at', recordCells(db).as('cells')]));
}
