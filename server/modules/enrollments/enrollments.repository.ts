import type { Kysely } from 'kysely';
import type { Database, EnrollmentMethod } from '../../db/database.js';
import type { UserRow } from '../users/users.repository.js';

type Db = Kysely<Database>;

const CHUNK = 500;
function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

export async function isEnrolled(db: Db, courseId: string, studentId: string): Promise<boolean> {
  const r = await db
    .selectFrom('enrollments')
    .select('student_id')
    .where('course_id', '=', courseId)
    .where('student_id', '=', studentId)
    .executeTakeFirst();
  return r !== undefined;
}

/** Enrolls the students not enrolled yet (the unique key absorbs the rest); returns who was added. */
export async function insertEnrollments(
  db: Db,
  courseId: string,
  studentIds: string[],
  method: EnrollmentMethod,
  now: string,
): Promise<string[]> {
  const added: string[] = [];
  for (const part of chunks(studentIds)) {
    const rows = await db
      .insertInto('enrollments')
      .values(part.map((studentId) => ({ course_id: courseId, student_id: studentId, method, created_at: now })))
      .onConflict((oc) => oc.columns(['course_id', 'student_id']).doNothing())
      .returning('student_id')
      .execute();
    added.push(...rows.map((r) => r.student_id));
  }
  return added;
}

export async function deleteEnrollment(db: Db, courseId: string, studentId: string): Promise<{ method: EnrollmentMethod; created_at: string } | undefined> {
  return db
    .deleteFrom('enrollments')
    .where('course_id', '=', courseId)
    .where('student_id', '=', studentId)
    .returning(['method', 'created_at'])
    .executeTakeFirst();
}

/** Of the given ids, those of active students. */
export async function activeStudentIds(db: Db, ids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const part of chunks(ids)) {
    const rows = await db
      .selectFrom('users')
      .select('id')
      .where('id', 'in', part)
      .where('role', '=', 'student')
      .where('active', '=', 1)
      .execute();
    for (const r of rows) found.add(r.id);
  }
  return found;
}

/** Active students by student number: number → id. */
export async function activeStudentsByNumber(db: Db, numbers: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const part of chunks(numbers)) {
    const rows = await db
      .selectFrom('users')
      .select(['id', 'student_number'])
      .where('student_number', 'in', part)
      .where('role', '=', 'student')
      .where('active', '=', 1)
      .execute();
    for (const r of rows) if (r.student_number) found.set(r.student_number, r.id);
  }
  return found;
}

export async function enrolledStudentIds(db: Db, courseId: string): Promise<string[]> {
  const rows = await db.selectFrom('enrollments').select('student_id').where('course_id', '=', courseId).execute();
  return rows.map((r) => r.student_id);
}

export type CourseStudentRow = UserRow & { enrollment_method: EnrollmentMethod; enrolled_at: string };

/** A page of a course's students ordered by name, then id. */
export async function listCourseStudents(
  db: Db,
  courseId: string,
  f: { q?: string; limit: number; after?: [string, string] },
): Promise<{ rows: CourseStudentRow[]; more: boolean }> {
  let q = db
    .selectFrom('enrollments')
    .innerJoin('users', 'users.id', 'enrollments.student_id')
    .selectAll('users')
    .select(['enrollments.method as enrollment_method', 'enrollments.created_at as enrolled_at'])
    .where('enrollments.course_id', '=', courseId)
    .orderBy('users.name')
    .orderBy('users.id')
    .limit(f.limit + 1);
  if (f.after) {
    const [name, id] = f.after;
    q = q.where((eb) => eb.or([eb('users.name', '>', name), eb.and([eb('users.name', '=', name), eb('users.id', '>', id)])]));
  }
  if (f.q) {
    const like = `%${f.q.toLowerCase()}%`;
    q = q.where((eb) =>
      eb.or([
        eb(eb.fn('lower', ['users.name']), 'like', like),
        eb('users.username', 'like', like),
        eb('users.email', 'like', like),
        eb(eb.fn('lower', ['users.student_number']), 'like', like),
      ]),
    );
  }
  const rows = await q.execute();
  const more = rows.length > f.limit;
  if (more) rows.pop();
  return { rows, more };
}
