import type { Kysely, Selectable, Updateable } from 'kysely';
import type { CoursesTable, Database } from '../../db/database.js';

export type CourseRow = Selectable<CoursesTable>;
type Db = Kysely<Database>;

export function findCourseById(db: Db, id: string): Promise<CourseRow | undefined> {
  return db.selectFrom('courses').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findCoursesByCodes(db: Db, codes: string[]): Promise<CourseRow[]> {
  if (codes.length === 0) return Promise.resolve([]);
  return db.selectFrom('courses').selectAll().where('code', 'in', codes).execute();
}

/** Every course's teachers, for the given course ids. */
export async function teacherIdsByCourse(db: Db, courseIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>(courseIds.map((id) => [id, []]));
  if (courseIds.length === 0) return map;
  const rows = await db
    .selectFrom('course_teachers')
    .select(['course_id', 'teacher_id'])
    .where('course_id', 'in', courseIds)
    .orderBy('created_at')
    .orderBy('teacher_id')
    .execute();
  for (const r of rows) map.get(r.course_id)?.push(r.teacher_id);
  return map;
}

export interface CourseFilter {
  q?: string;
  departmentId?: string;
  term?: string;
  /** Only courses this user teaches. */
  teacherId?: string;
  /** Only courses this student is enrolled in. */
  studentId?: string;
  limit: number;
  /** Keyset: codes after this one. */
  after?: string;
}

/** The ids of the courses a teacher teaches, as a subquery (`where(course id, 'in', …)`). */
export function courseIdsTaughtBy(db: Db, teacherId: string) {
  return db.selectFrom('course_teachers').select('course_teachers.course_id').where('course_teachers.teacher_id', '=', teacherId);
}

/** The ids of the courses a student is enrolled in, as a subquery. */
export function courseIdsTakenBy(db: Db, studentId: string) {
  return db.selectFrom('enrollments').select('enrollments.course_id').where('enrollments.student_id', '=', studentId);
}

/** A page of courses ordered by code (unique); fetches one extra row to know if there is more. */
export async function listCourses(db: Db, f: CourseFilter): Promise<{ rows: CourseRow[]; more: boolean }> {
  let q = db.selectFrom('courses').selectAll('courses').orderBy('courses.code').limit(f.limit + 1);
  if (f.teacherId) q = q.where('courses.id', 'in', courseIdsTaughtBy(db, f.teacherId));
  if (f.studentId) q = q.where('courses.id', 'in', courseIdsTakenBy(db, f.studentId));
  if (f.departmentId) q = q.where('courses.department_id', '=', f.departmentId);
  if (f.term) q = q.where('courses.term', '=', f.term);
  if (f.after !== undefined) q = q.where('courses.code', '>', f.after);
  if (f.q) {
    const like = `%${f.q.toLowerCase()}%`;
    q = q.where((eb) =>
      eb.or([eb(eb.fn('lower', ['courses.code']), 'like', like), eb(eb.fn('lower', ['courses.name']), 'like', like)]),
    );
  }
  const rows = await q.execute();
  const more = rows.length > f.limit;
  if (more) rows.pop();
  return { rows, more };
}

/** Role and active flag of the given users (to check who may be listed as a teacher). */
export function findUserRoles(db: Db, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('users').select(['id', 'role', 'active']).where('id', 'in', ids).execute();
}

export async function insertCourse(db: Db, row: CourseRow): Promise<void> {
  await db.insertInto('courses').values(row).execute();
}

export function updateCourseRow(db: Db, id: string, patch: Updateable<CoursesTable>): Promise<CourseRow | undefined> {
  return db.updateTable('courses').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteCourseRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom('courses').where('id', '=', id).execute();
}

export async function replaceCourseTeachers(db: Db, courseId: string, teacherIds: string[], now: string): Promise<void> {
  await db.deleteFrom('course_teachers').where('course_id', '=', courseId).execute();
  if (teacherIds.length === 0) return;
  await db
    .insertInto('course_teachers')
    .values(teacherIds.map((teacherId) => ({ course_id: courseId, teacher_id: teacherId, created_at: now })))
    .execute();
}

export async function isCourseTeacher(db: Db, courseId: string, userId: string): Promise<boolean> {
  const r = await db
    .selectFrom('course_teachers')
    .select('teacher_id')
    .where('course_id', '=', courseId)
    .where('teacher_id', '=', userId)
    .executeTakeFirst();
  return r !== undefined;
}

/** Sessions of the course that already happened or were cancelled (attendance history). */
export async function countHistoricSessions(db: Db, courseId: string): Promise<number> {
  const r = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('course_id', '=', courseId)
    .where('state', '!=', 'scheduled')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Takes the course's row lock until the transaction ends (PostgreSQL; SQLite serialises writers
 * anyway), so concurrent changes to the course's sessions renumber one after another.
 */
export async function lockCourse(trx: Db, courseId: string): Promise<boolean> {
  const r = await trx.updateTable('courses').set((eb) => ({ id: eb.ref('id') })).where('id', '=', courseId).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
