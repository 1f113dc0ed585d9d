import type { Kysely, Selectable } from 'kysely';
import type { Database, WarningKind, WarningsTable } from '../../db/database.js';
import { courseIdsTaughtBy } from '../courses/courses.repository.js';

type Db = Kysely<Database>;
export type WarningRow = Selectable<WarningsTable>;

/** The key that is unique while a warning is open (NULL once resolved). */
export const openKeyOf = (courseId: string, studentId: string, kind: WarningKind) => `${courseId}:${studentId}:${kind}`;

/** Keeps `IN (...)` lists under SQLite's bind-parameter limit. */
export function chunks<T>(xs: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** The students' records in the course's held (closed) sessions, per student oldest first. */
export function heldRecordsOf(db: Db, courseId: string, studentIds: string[]) {
  return db
    .selectFrom('attendance_records')
    .innerJoin('sessions', 'sessions.id', 'attendance_records.session_id')
    .select(['attendance_records.student_id', 'attendance_records.status', 'sessions.starts_at'])
    .where('sessions.course_id', '=', courseId)
    .where('sessions.state', '=', 'closed')
    .where('attendance_records.student_id', 'in', studentIds)
    .orderBy('attendance_records.student_id')
    .orderBy('sessions.starts_at')
    .execute();
}

/** Sessions still to be held: scheduled or open (cancelled ones never count). */
export async function remainingSessionCount(db: Db, courseId: string): Promise<number> {
  const r = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('course_id', '=', courseId)
    .where('state', 'in', ['scheduled', 'open'])
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export function openWarningsOf(db: Db, courseId: string, studentIds: string[]): Promise<WarningRow[]> {
  return db
    .selectFrom('warnings')
    .selectAll()
    .where('course_id', '=', courseId)
    .where('state', '=', 'open')
    .where('student_id', 'in', studentIds)
    .execute();
}

/** Opens a warning unless one of its kind is open already (the unique open_key): the row, or undefined. */
export function insertWarningIfNone(db: Db, row: WarningRow): Promise<WarningRow | undefined> {
  return db
    .insertInto('warnings')
    .values(row)
    .onConflict((oc) => oc.column('open_key').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function resolveWarningRow(db: Db, id: string, now: string): Promise<WarningRow | undefined> {
  return db
    .updateTable('warnings')
    .set({ state: 'resolved', open_key: null, resolved_at: now, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'open')
    .returningAll()
    .executeTakeFirst();
}

export async function updateWarningDetail(db: Db, id: string, detail: string, now: string): Promise<void> {
  await db.updateTable('warnings').set({ detail, updated_at: now }).where('id', '=', id).where('state', '=', 'open').execute();
}

/** The course's active teachers with their addresses. */
export function courseTeachers(db: Db, courseId: string) {
  return db
    .selectFrom('course_teachers')
    .innerJoin('users', 'users.id', 'course_teachers.teacher_id')
    .select(['users.id', 'users.name', 'users.email'])
    .where('course_teachers.course_id', '=', courseId)
    .where('users.active', '=', 1)
    .execute();
}

export function studentsByIds(db: Db, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('users')
    .select(['id', 'name', 'email', 'student_number', 'guardian_email', 'active'])
    .where('id', 'in', ids)
    .execute();
}

export interface WarningFilter {
  courseId?: string;
  studentId?: string;
  state?: 'open' | 'resolved';
  /** Only the courses this teacher teaches. */
  teacherId?: string;
  /** Keyset: ids before this one (newest first). */
  before?: string;
  limit: number;
}

/** Warnings with their student and course, newest first; one extra row tells whether there is more. */
export async function listWarnings(db: Db, f: WarningFilter) {
  let q = db
    .selectFrom('warnings')
    .innerJoin('users', 'users.id', 'warnings.student_id')
    .innerJoin('courses', 'courses.id', 'warnings.course_id')
    .selectAll('warnings')
    .select(['users.name as student_name', 'users.student_number', 'courses.code as course_code', 'courses.name as course_name'])
    .orderBy('warnings.id', 'desc')
    .limit(f.limit + 1);
  if (f.courseId) q = q.where('warnings.course_id', '=', f.courseId);
  if (f.studentId) q = q.where('warnings.student_id', '=', f.studentId);
  if (f.state) q = q.where('warnings.state', '=', f.state);
  if (f.teacherId) q = q.where('warnings.course_id', 'in', courseIdsTaughtBy(db, f.teacherId));
  if (f.before) q = q.where('warnings.id', '<', f.before);
  const rows = await q.execute();
  const more = rows.length > f.limit;
  if (more) rows.pop();
  return { rows, more };
}
export type WarningListRow = Awaited<ReturnType<typeof listWarnings>>['rows'][number];

/**
 * Open warnings of the courses each teacher teaches, for the weekly digest: one row per teacher ×
 * warning, ordered by teacher, course and student.
 */
export function openWarningsByTeacher(db: Db) {
  return db
    .selectFrom('warnings')
    .innerJoin('course_teachers', 'course_teachers.course_id', 'warnings.course_id')
    .innerJoin('users as t', 't.id', 'course_teachers.teacher_id')
    .innerJoin('users as s', 's.id', 'warnings.student_id')
    .innerJoin('courses', 'courses.id', 'warnings.course_id')
    .select([
      't.id as teacher_id',
      't.email as teacher_email',
      't.name as teacher_name',
      's.name as student_name',
      's.student_number',
      'courses.code as course_code',
      'courses.name as course_name',
      'warnings.kind',
      'warnings.detail',
    ])
    .where('warnings.state', '=', 'open')
    .where('t.active', '=', 1)
    .where('s.active', '=', 1)
    .orderBy('t.id')
    .orderBy('courses.code')
    .orderBy('s.name')
    .orderBy('warnings.kind')
    .execute();
}

/**
 * Claims `week` for the digest: true for exactly one caller across nodes. The settings row holds the
 * last week sent; the conditional update succeeds only while it is older than `week`.
 */
export async function claimDigestWeek(db: Db, key: string, week: string, now: string): Promise<boolean> {
  await db.insertInto('settings').values({ key, value: '', updated_at: now }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const r = await db.updateTable('settings').set({ value: week, updated_at: now }).where('key', '=', key).where('value', '<', week).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
