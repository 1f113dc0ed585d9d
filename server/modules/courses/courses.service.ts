import type { Kysely } from 'kysely';
import { type Course, type CreateCourseInput, DEFAULT_WARNING_RULES, type ListCoursesQuery, type UpdateCourseInput, type WarningRules } from '../../../common/course.schemas.js';
import type { Database, Role } from '../../db/database.js';
import { uniqueViolation } from '../../db/constraint-errors.js';
import { conflict, forbidden, notFound, validationFailed } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { newId, nowIso } from '../../lib/ids.js';
import { insertAudit } from '../audit/audit.repository.js';
import { findDepartmentById } from '../departments/departments.repository.js';
import { isEnrolled } from '../enrollments/enrollments.repository.js';
import {
  countHistoricSessions,
  deleteCourseRow,
  findCourseById,
  findUserRoles,
  insertCourse,
  isCourseTeacher,
  listCourses,
  replaceCourseTeachers,
  teacherIdsByCourse,
  updateCourseRow,
  type CourseRow,
} from './courses.repository.js';

type Db = Kysely<Database>;

/** Who is acting: the request's auth context satisfies this. */
export interface Actor {
  userId: string;
  role: Role;
}

export function toCourse(row: CourseRow, teacherIds: string[]): Course {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    description: row.description,
    departmentId: row.department_id,
    term: row.term,
    yearOfStudy: row.year_of_study,
    teacherIds,
    thresholdPercent: row.threshold_percent,
    lateAfterMinutes: row.late_after_minutes,
    warnings: warningRulesOf(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The course's warning rules (columns default to the documented defaults). */
export function warningRulesOf(row: Pick<CourseRow, 'warn_below_threshold' | 'warn_consecutive_absences' | 'warn_cannot_reach'>): WarningRules {
  return {
    belowThreshold: (row.warn_below_threshold ?? 1) === 1,
    consecutiveAbsences: row.warn_consecutive_absences ?? DEFAULT_WARNING_RULES.consecutiveAbsences,
    cannotReach: (row.warn_cannot_reach ?? 1) === 1,
  };
}

function warningColumns(rules: Partial<WarningRules> | undefined) {
  return {
    warn_below_threshold: rules?.belowThreshold === undefined ? undefined : rules.belowThreshold ? 1 : 0,
    warn_consecutive_absences: rules?.consecutiveAbsences,
    warn_cannot_reach: rules?.cannotReach === undefined ? undefined : rules.cannotReach ? 1 : 0,
  };
}

async function withTeachers(db: Db, rows: CourseRow[]): Promise<Course[]> {
  const teachers = await teacherIdsByCourse(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toCourse(r, teachers.get(r.id) ?? []));
}

/** Whether the user is one of the course's teachers (admins are not, unless listed). */
export function canTeachCourse(db: Db, userId: string, courseId: string): Promise<boolean> {
  return isCourseTeacher(db, courseId, userId);
}

/**
 * The course, if the actor may run it: an admin, or a teacher of the course. 404 when it does not
 * exist, 403 for anyone else (a teacher of another course, a student).
 */
export async function assertCourseStaff(db: Db, actor: Actor, courseId: string): Promise<CourseRow> {
  const course = await findCourseById(db, courseId);
  if (!course) throw notFound('Course');
  if (actor.role === 'admin') return course;
  if (actor.role === 'teacher' && (await isCourseTeacher(db, courseId, actor.userId))) return course;
  throw forbidden(actor.role === 'teacher' ? 'You do not teach this course.' : undefined);
}

/** The course, if the actor may see it: its staff, or a student enrolled in it. */
export async function assertCanViewCourse(db: Db, actor: Actor, courseId: string): Promise<CourseRow> {
  if (actor.role !== 'student') return assertCourseStaff(db, actor, courseId);
  const course = await findCourseById(db, courseId);
  if (!course) throw notFound('Course');
  if (!(await isEnrolled(db, courseId, actor.userId))) throw forbidden('You are not enrolled in this course.');
  return course;
}

function codeTaken(err: unknown) {
  return uniqueViolation(err)
    ? conflict('A course with that code already exists.', [{ path: 'code', message: 'already taken' }])
    : null;
}

async function assertDepartment(db: Db, departmentId: string | null | undefined) {
  if (!departmentId) return;
  if (!(await findDepartmentById(db, departmentId))) {
    throw validationFailed('Unknown department.', [{ path: 'departmentId', message: 'no such department' }]);
  }
}

/** Active teachers (or admins who teach); anything else in the list is a 400 naming it. */
async function assertTeachers(db: Db, ids: string[]) {
  if (ids.length === 0) return;
  const rows = await findUserRoles(db, ids);
  const ok = new Set(rows.filter((r) => r.active === 1 && r.role !== 'student').map((r) => r.id));
  const bad = ids.filter((id) => !ok.has(id));
  if (bad.length > 0) {
    throw validationFailed(
      'Every teacher must be an active teacher account.',
      bad.map((id) => ({ path: 'teacherIds', message: `${id} is not an active teacher` })),
    );
  }
}

export async function listCoursesPage(db: Db, actor: Actor, query: ListCoursesQuery) {
  const after = query.cursor ? decodeCursor(query.cursor, 1)[0] : undefined;
  let teacherId = query.teacherId;
  let studentId: string | undefined;
  if (actor.role === 'teacher') {
    if (teacherId && teacherId !== actor.userId) throw forbidden('Teachers list their own courses only.');
    teacherId = actor.userId;
  } else if (actor.role === 'student') {
    if (teacherId) throw forbidden();
    studentId = actor.userId;
  }
  const { rows, more } = await listCourses(db, { ...query, teacherId, studentId, after });
  return {
    items: await withTeachers(db, rows),
    nextCursor: more ? encodeCursor([rows[rows.length - 1].code]) : null,
  };
}

/** Every course the actor takes (student) or teaches (anyone listed as its teacher). */
export async function listMyCourses(db: Db, actor: Actor): Promise<Course[]> {
  const mine = actor.role === 'student' ? { studentId: actor.userId } : { teacherId: actor.userId };
  const { rows } = await listCourses(db, { ...mine, limit: 10_000 });
  return withTeachers(db, rows);
}

export async function getCourse(db: Db, actor: Actor, id: string): Promise<Course> {
  const row = await assertCanViewCourse(db, actor, id);
  return (await withTeachers(db, [row]))[0];
}

/** Creates a course; a teacher creating one is always among its teachers. */
export async function createCourse(db: Db, actor: Actor, input: CreateCourseInput): Promise<Course> {
  const teacherIds = [...new Set([...(input.teacherIds ?? []), ...(actor.role === 'teacher' ? [actor.userId] : [])])];
  await assertDepartment(db, input.departmentId);
  await assertTeachers(db, teacherIds);
  const now = nowIso();
  const row: CourseRow = {
    id: newId(),
    code: input.code,
    name: input.name,
    description: input.description ?? null,
    department_id: input.departmentId ?? null,
    term: input.term ?? null,
    year_of_study: input.yearOfStudy ?? null,
    threshold_percent: input.thresholdPercent,
    late_after_minutes: input.lateAfterMinutes,
    ...warningColumns({ ...DEFAULT_WARNING_RULES, ...input.warnings }),
    created_at: now,
    updated_at: now,
  };
  const course = toCourse(row, teacherIds);
  try {
    await db.transaction().execute(async (trx) => {
      await insertCourse(trx, row);
      await replaceCourseTeachers(trx, row.id, teacherIds, now);
      await insertAudit(trx, { actorId: actor.userId, action: 'course.created', entity: 'course', entityId: row.id, after: course });
    });
  } catch (err) {
    throw codeTaken(err) ?? err;
  }
  return course;
}

/** Edits a course (admin, or one of its teachers; a teacher cannot take themselves off it). */
export async function updateCourse(db: Db, actor: Actor, id: string, input: UpdateCourseInput): Promise<Course> {
  await assertCourseStaff(db, actor, id);
  const teacherIds = input.teacherIds ? [...new Set(input.teacherIds)] : undefined;
  if (teacherIds && actor.role === 'teacher' && !teacherIds.includes(actor.userId)) {
    throw validationFailed('You cannot remove yourself from the course; ask an administrator.', [
      { path: 'teacherIds', message: 'must include yourself' },
    ]);
  }
  await assertDepartment(db, input.departmentId);
  if (teacherIds) await assertTeachers(db, teacherIds);
  try {
    return await db.transaction().execute(async (trx) => {
      const before = await findCourseById(trx, id);
      if (!before) throw notFound('Course');
      const [beforeCourse] = await withTeachers(trx, [before]);
      const now = nowIso();
      const after = await updateCourseRow(trx, id, {
        code: input.code,
        name: input.name,
        description: input.description,
        department_id: input.departmentId,
        term: input.term,
        year_of_study: input.yearOfStudy,
        threshold_percent: input.thresholdPercent,
        late_after_minutes: input.lateAfterMinutes,
        ...warningColumns(input.warnings),
        updated_at: now,
      });
      if (!after) throw notFound('Course');
      if (teacherIds) await replaceCourseTeachers(trx, id, teacherIds, now);
      const [course] = await withTeachers(trx, [after]);
      await insertAudit(trx, {
        actorId: actor.userId,
        action: 'course.updated',
        entity: 'course',
        entityId: id,
        before: beforeCourse,
        after: course,
      });
      return course;
    });
  } catch (err) {
    throw codeTaken(err) ?? err;
  }
}

/**
 * Deletes a course with its enrollments and scheduled sessions. A course that has held or cancelled
 * sessions keeps its attendance history: 409.
 */
export async function deleteCourse(db: Db, actor: Actor, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await findCourseById(trx, id);
    if (!before) throw notFound('Course');
    const historic = await countHistoricSessions(trx, id);
    if (historic > 0) {
      throw conflict(`The course has ${historic} session(s) that were held or cancelled; its attendance history is kept.`);
    }
    const [course] = await withTeachers(trx, [before]);
    await deleteCourseRow(trx, id);
    await insertAudit(trx, { actorId: actor.userId, action: 'course.deleted', entity: 'course', entityId: id, before: course });
  });
}
