import type { Db } from '../../server/db/kysely.js';
import type { CoursesTable, EnrollmentMethod, SessionsTable } from '../../server/db/database.js';
import { newId, nowIso } from '../../server/lib/ids.js';
import { defaultPolicy } from '../../common/session.schemas.js';

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`.toUpperCase();

export async function buildDepartment(db: Db, overrides: { code?: string; name?: string } = {}) {
  const n = unique();
  const row = { id: newId(), code: overrides.code ?? `D${n}`, name: overrides.name ?? `Department ${n}`, created_at: nowIso() };
  await db.insertInto('departments').values(row).execute();
  return row;
}

export async function buildSection(db: Db, overrides: { name?: string; department_id?: string | null; cohort?: string | null } = {}) {
  const n = unique();
  const row = {
    id: newId(),
    name: overrides.name ?? `Section ${n}`,
    department_id: overrides.department_id ?? null,
    cohort: overrides.cohort ?? null,
    created_at: nowIso(),
  };
  await db.insertInto('sections').values(row).execute();
  return row;
}

/** Inserts a course straight into the database, with its teachers and enrolled students. */
export async function buildCourse(
  db: Db,
  overrides: Partial<CoursesTable> & { teacherIds?: string[]; studentIds?: string[] } = {},
): Promise<CoursesTable> {
  const { teacherIds = [], studentIds = [], ...rest } = overrides;
  const n = unique();
  const now = nowIso();
  const row: CoursesTable = {
    id: newId(),
    code: `C${n}`,
    name: `Course ${n}`,
    description: null,
    department_id: null,
    term: '2026-S1',
    year_of_study: 1,
    threshold_percent: 75,
    late_after_minutes: 10,
    created_at: now,
    updated_at: now,
    ...rest,
  };
  await db.insertInto('courses').values(row).execute();
  if (teacherIds.length) {
    await db
      .insertInto('course_teachers')
      .values(teacherIds.map((t) => ({ course_id: row.id, teacher_id: t, created_at: now })))
      .execute();
  }
  await enroll(db, row.id, studentIds);
  return row;
}

export async function enroll(db: Db, courseId: string, studentIds: string[], method: EnrollmentMethod = 'manual') {
  if (studentIds.length === 0) return;
  await db
    .insertInto('enrollments')
    .values(studentIds.map((s) => ({ course_id: courseId, student_id: s, method, created_at: nowIso() })))
    .execute();
}

/** Inserts a session straight into the database (numbered 1 unless given; no renumbering). */
export async function buildSession(db: Db, courseId: string, overrides: Partial<SessionsTable> = {}): Promise<SessionsTable> {
  const now = nowIso();
  const start = new Date(Date.now() + 86_400_000);
  const row: SessionsTable = {
    id: newId(),
    course_id: courseId,
    kind: 'lecture',
    number: 1,
    title: null,
    starts_at: start.toISOString(),
    ends_at: new Date(start.getTime() + 3600_000).toISOString(),
    venue: 'Room 1',
    state: 'scheduled',
    opened_at: null,
    closed_at: null,
    cancelled_at: null,
    cancelled_reason: null,
    policy: JSON.stringify(defaultPolicy(10)),
    code_secret: null,
    version: 1,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
  await db.insertInto('sessions').values(row).execute();
  return row;
}
