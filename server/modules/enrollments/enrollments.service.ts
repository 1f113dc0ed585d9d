import { parse as parseCsv } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import type {
  CourseStudent,
  EnrollInput,
  EnrollmentImportResult,
  EnrollResult,
} from '../../../common/course.schemas.js';
import type { Database, EnrollmentMethod } from '../../db/database.js';
import { notFound, validationFailed } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { nowIso } from '../../lib/ids.js';
import { insertAudit } from '../audit/audit.repository.js';
import { findCoursesByCodes, teacherIdsByCourse, type CourseRow } from '../courses/courses.repository.js';
import { assertCourseStaff, type Actor } from '../courses/courses.service.js';
import { findSectionById, activeStudentIdsOfSection } from '../sections/sections.repository.js';
import type { RosterChange } from '../../realtime/live-events.js';
import { toUser } from '../users/users.service.js';
import {
  activeStudentIds,
  activeStudentsByNumber,
  deleteEnrollment,
  insertEnrollments,
  listCourseStudents,
  type CourseStudentRow,
} from './enrollments.repository.js';

type Db = Kysely<Database>;

/**
 * Told after the commit which students joined or left a course, so that the open sessions' live
 * pages follow (the routes pass `publishRosterChange`; the CLI and the demo loader pass nothing).
 */
export type AnnounceRoster = (change: RosterChange) => Promise<void>;

function toCourseStudent(row: CourseStudentRow): CourseStudent {
  return { ...toUser(row), enrollment: { method: row.enrollment_method, enrolledAt: row.enrolled_at } };
}

/** Enrolls inside `trx` and audits each new enrollment; returns the ids of those that were new. */
async function enrollInTrx(
  trx: Db,
  actorId: string,
  courseId: string,
  studentIds: string[],
  method: EnrollmentMethod,
): Promise<string[]> {
  const now = nowIso();
  const added = await insertEnrollments(trx, courseId, studentIds, method, now);
  for (const studentId of added) {
    await insertAudit(trx, {
      actorId,
      action: 'enrollment.created',
      entity: 'enrollment',
      entityId: `${courseId}:${studentId}`,
      studentId,
      after: { courseId, studentId, method, enrolledAt: now },
    });
  }
  return added;
}

/**
 * Enrolls students by id, by student number and/or a whole section. Students already enrolled are
 * counted, not touched; ids and numbers that match no active student are reported in `notFound`.
 */
export async function enrollStudents(
  db: Db,
  actor: Actor,
  courseId: string,
  input: EnrollInput,
  announce?: AnnounceRoster,
): Promise<EnrollResult> {
  await assertCourseStaff(db, actor, courseId);
  const notFoundList: string[] = [];

  const ids = [...new Set(input.studentIds ?? [])];
  const validIds = await activeStudentIds(db, ids);
  for (const id of ids) if (!validIds.has(id)) notFoundList.push(id);

  const numbers = [...new Set(input.studentNumbers ?? [])];
  const byNumber = await activeStudentsByNumber(db, numbers);
  for (const n of numbers) if (!byNumber.has(n)) notFoundList.push(n);

  const manual = [...new Set([...validIds, ...byNumber.values()])];
  let fromSection: string[] = [];
  if (input.sectionId) {
    if (!(await findSectionById(db, input.sectionId))) {
      throw validationFailed('Unknown section.', [{ path: 'sectionId', message: 'no such section' }]);
    }
    const picked = new Set(manual);
    fromSection = (await activeStudentIdsOfSection(db, input.sectionId)).filter((id) => !picked.has(id));
  }

  const added = await db.transaction().execute(async (trx) => [
    ...(await enrollInTrx(trx, actor.userId, courseId, manual, 'manual')),
    ...(await enrollInTrx(trx, actor.userId, courseId, fromSection, 'section')),
  ]);
  await announce?.({ courseId, added, removed: [] });
  return { enrolled: added.length, alreadyEnrolled: manual.length + fromSection.length - added.length, notFound: notFoundList };
}

export async function listCourseStudentsPage(
  db: Db,
  actor: Actor,
  courseId: string,
  f: { q?: string; limit: number; cursor?: string },
) {
  await assertCourseStaff(db, actor, courseId);
  const after = f.cursor ? (decodeCursor(f.cursor, 2) as [string, string]) : undefined;
  const { rows, more } = await listCourseStudents(db, courseId, { q: f.q, limit: f.limit, after });
  const last = rows[rows.length - 1];
  return { items: rows.map(toCourseStudent), nextCursor: more ? encodeCursor([last.name, last.id]) : null };
}

/** Takes a student off the course roster; their attendance records stay. */
export async function unenrollStudent(db: Db, actor: Actor, courseId: string, studentId: string, announce?: AnnounceRoster): Promise<void> {
  await assertCourseStaff(db, actor, courseId);
  await db.transaction().execute(async (trx) => {
    const removed = await deleteEnrollment(trx, courseId, studentId);
    if (!removed) throw notFound('Enrollment');
    await insertAudit(trx, {
      actorId: actor.userId,
      action: 'enrollment.deleted',
      entity: 'enrollment',
      entityId: `${courseId}:${studentId}`,
      studentId,
      before: { courseId, studentId, method: removed.method, enrolledAt: removed.created_at },
    });
  });
  await announce?.({ courseId, added: [], removed: [studentId] });
}

const CSV_COLUMNS = ['courseCode', 'studentNumber'];

/**
 * Imports enrollments from CSV (header `courseCode,studentNumber`). All-or-nothing unless `partial`:
 * with any bad line nothing is written and every bad line is reported. A teacher may import into
 * the courses they teach only.
 */
export async function importEnrollmentsCsv(
  db: Db,
  actor: Actor,
  text: string,
  partial: boolean,
  announce?: AnnounceRoster,
): Promise<EnrollmentImportResult> {
  // `info` gives each record its line in the file, which blank lines would otherwise shift.
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true }) as unknown as typeof records;
  } catch (err) {
    throw validationFailed(`The file is not valid CSV: ${(err as Error).message}`);
  }
  if (records.length === 0) throw validationFailed('The file is empty; it needs a header row.');
  const header = records[0].record.map((h) => h.trim());
  const missing = CSV_COLUMNS.filter((c) => !header.includes(c));
  const unknown = header.filter((h) => !CSV_COLUMNS.includes(h));
  if (missing.length || unknown.length) {
    throw validationFailed(
      `Bad header row. Expected columns: ${CSV_COLUMNS.join(',')}.` +
        (missing.length ? ` Missing: ${missing.join(', ')}.` : '') +
        (unknown.length ? ` Unknown: ${unknown.join(', ')}.` : ''),
    );
  }
  const lines: { line: number; courseCode: string; studentNumber: string }[] = [];
  const errors: EnrollmentImportResult['errors'] = [];
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    const rec: Record<string, string> = {};
    header.forEach((h, j) => (rec[h] = record[j] ?? ''));
    if (!rec.courseCode && !rec.studentNumber) continue;
    if (!rec.courseCode || !rec.studentNumber) {
      errors.push({ line, message: `${rec.courseCode ? 'studentNumber' : 'courseCode'}: required` });
      continue;
    }
    lines.push({ line, courseCode: rec.courseCode, studentNumber: rec.studentNumber });
  }

  const courses = await findCoursesByCodes(db, [...new Set(lines.map((l) => l.courseCode))]);
  const courseByCode = new Map<string, CourseRow>(courses.map((c) => [c.code, c]));
  const teachers = actor.role === 'admin' ? null : await teacherIdsByCourse(db, courses.map((c) => c.id));
  const students = await activeStudentsByNumber(db, [...new Set(lines.map((l) => l.studentNumber))]);

  const byCourse = new Map<string, string[]>();
  for (const l of lines) {
    const course = courseByCode.get(l.courseCode);
    const studentId = students.get(l.studentNumber);
    if (!course) errors.push({ line: l.line, message: `unknown course "${l.courseCode}"` });
    else if (teachers && !teachers.get(course.id)?.includes(actor.userId)) {
      errors.push({ line: l.line, message: `you do not teach "${l.courseCode}"` });
    } else if (!studentId) errors.push({ line: l.line, message: `no active student with number "${l.studentNumber}"` });
    else byCourse.set(course.id, [...(byCourse.get(course.id) ?? []), studentId]);
  }
  errors.sort((a, b) => a.line - b.line);
  if (errors.length > 0 && !partial) return { enrolled: 0, alreadyEnrolled: 0, errors };

  // A pair repeated in the file counts as already enrolled the second time.
  const total = [...byCourse.values()].reduce((sum, ids) => sum + ids.length, 0);
  const addedByCourse = await db.transaction().execute(async (trx) => {
    const added = new Map<string, string[]>();
    for (const [courseId, ids] of byCourse) added.set(courseId, await enrollInTrx(trx, actor.userId, courseId, [...new Set(ids)], 'import'));
    return added;
  });
  let enrolled = 0;
  for (const [courseId, added] of addedByCourse) {
    enrolled += added.length;
    await announce?.({ courseId, added, removed: [] });
  }
  return { enrolled, alreadyEnrolled: total - enrolled, errors };
}

