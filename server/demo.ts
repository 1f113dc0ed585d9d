import type { Kysely } from 'kysely';
import type { Database } from './db/database.js';
import { AppError } from './errors.js';
import { addDays, localDateOf } from './lib/timezone.js';
import type { Dialect } from './db/kysely.js';
import { RecordWriter } from './modules/attendance/record-writer.js';
import { createCourse } from './modules/courses/courses.service.js';
import { createDepartment } from './modules/departments/departments.service.js';
import { enrollStudents } from './modules/enrollments/enrollments.service.js';
import { createSection } from './modules/sections/sections.service.js';
import { createBulkSessions } from './modules/sessions/sessions.service.js';
import { findUserByLogin } from './modules/users/users.repository.js';
import { createUser } from './modules/users/users.service.js';

export const DEMO_PASSWORDS = { admin: 'demo-admin-pass', teacher: 'demo-teacher-pass', student: 'demo-student-pass' } as const;

const FIRST = ['Amara', 'Ben', 'Chen', 'Dana', 'Elif', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemi', 'Luca', 'Maya', 'Noah', 'Olga', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tariq'];
const LAST = ['Adeyemi', 'Baker', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Gupta', 'Haddad', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Mensah', 'Novak', 'Okafor', 'Petrov'];

export interface DemoSummary {
  admin: string | null;
  teachers: string[];
  students: number;
  courses: string[];
  sessions: number;
}

/**
 * Loads a small demo school: a department, two sections, two teachers, 40 students, two courses
 * with a term of weekly sessions around today, and attendance for the sessions already held.
 * Everything goes through the same services the API uses, so it is audited like real data.
 */
export async function loadDemoSchool(db: Kysely<Database>, timeZone: string, dialect: Dialect): Promise<DemoSummary> {
  if (await db.selectFrom('departments').select('id').where('code', '=', 'DEMO').executeTakeFirst()) {
    throw new AppError(409, 'conflict', 'Demo already loaded', 'This database already has the demo school (department DEMO).');
  }
  let adminUser = await db.selectFrom('users').select(['id', 'username']).where('role', '=', 'admin').where('active', '=', 1).executeTakeFirst();
  let createdAdmin: string | null = null;
  if (!adminUser) {
    const u = await createUser(db, null, { role: 'admin', username: 'admin', name: 'Demo Administrator', password: DEMO_PASSWORDS.admin });
    adminUser = { id: u.id, username: u.username };
    createdAdmin = u.username;
  }
  const admin = { userId: adminUser.id, role: 'admin' as const };

  const dept = await createDepartment(db, admin.userId, { code: 'DEMO', name: 'Computer Science (demo)' });
  const sections = [
    await createSection(db, admin.userId, { name: 'CS Year 1 A', departmentId: dept.id, cohort: '2026' }),
    await createSection(db, admin.userId, { name: 'CS Year 1 B', departmentId: dept.id, cohort: '2026' }),
  ];
  const teachers = [];
  for (const [username, name] of [
    ['t.okafor', 'Dr. Ngozi Okafor'],
    ['m.lindqvist', 'Mr. Magnus Lindqvist'],
  ] as const) {
    if (await findUserByLogin(db, username)) throw new AppError(409, 'conflict', 'Demo user exists', `A user named ${username} already exists.`);
    teachers.push(await createUser(db, admin.userId, { role: 'teacher', username, name, password: DEMO_PASSWORDS.teacher, email: `${username}@demo.school` }));
  }
  const students = [];
  for (let i = 1; i <= 40; i++) {
    const n = String(i).padStart(3, '0');
    students.push(
      await createUser(db, admin.userId, {
        role: 'student',
        username: `s${n}`,
        name: `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}`,
        studentNumber: `DEMO-${n}`,
        sectionId: sections[i <= 20 ? 0 : 1].id,
        password: DEMO_PASSWORDS.student,
      }),
    );
  }

  const today = localDateOf(new Date(), timeZone);
  const courses = [
    { code: 'DEMO-CS101', name: 'Introduction to Programming', teacher: teachers[0], sections, weekdays: [1, 3], start: '09:00', end: '10:30', venue: 'Lab 2' },
    { code: 'DEMO-CS102', name: 'Discrete Mathematics', teacher: teachers[1], sections: [sections[0]], weekdays: [2, 4], start: '11:00', end: '12:30', venue: 'Room 104' },
  ];
  let sessionCount = 0;
  for (const c of courses) {
    const course = await createCourse(db, admin, {
      code: c.code,
      name: c.name,
      departmentId: dept.id,
      term: '2026-S2',
      yearOfStudy: 1,
      teacherIds: [c.teacher.id],
      thresholdPercent: 75,
      lateAfterMinutes: 10,
    });
    for (const s of c.sections) await enrollStudents(db, admin, course.id, { sectionId: s.id });
    const sessions = await createBulkSessions(
      db,
      admin,
      course.id,
      { kind: 'lecture', from: addDays(today, -28), until: addDays(today, 56), weekdays: c.weekdays, startTime: c.start, endTime: c.end, venue: c.venue },
      timeZone,
    );
    sessionCount += sessions.length;
    const enrolled = await courseStudents(db, course.id);
    const held = sessions.filter((s) => Date.parse(s.endsAt) < Date.now());
    for (const [k, s] of held.entries()) await recordHeldSession(db, dialect, c.teacher.id, s.id, s.startsAt, s.endsAt, enrolled, k);
  }
  return { admin: createdAdmin, teachers: teachers.map((t) => t.username), students: students.length, courses: courses.map((c) => c.code), sessions: sessionCount };
}

/** A past session as if it had been run: opened, a realistic spread of statuses (through the write command), closed. */
async function recordHeldSession(
  db: Kysely<Database>,
  dialect: Dialect,
  teacherId: string,
  sessionId: string,
  startsAt: string,
  endsAt: string,
  students: { id: string; name: string; student_number: string | null }[],
  seed: number,
) {
  const start = Date.parse(startsAt);
  await db.transaction().execute(async (trx) => {
    await closeHeldSession(trx, sessionId, startsAt, endsAt);
    // No webhook exists in a school being loaded, and nobody is watching live: nothing to publish.
    const writer = new RecordWriter(trx, dialect, { forType: () => [] });
    for (const [i, student] of students.entries()) {
      // Deterministic pseudo-random spread: most present, some late, a few absent (a couple chronically).
      const r = (i * 37 + seed * 11) % 100;
      const chronic = i % 13 === 5;
      const status = chronic ? (r < 55 ? 'absent' : 'present') : r < 78 ? 'present' : r < 90 ? 'late' : r < 97 ? 'absent' : 'excused';
      const checkedIn = status === 'present' || status === 'late' ? new Date(start + (status === 'late' ? 15 : 2) * 60_000 + (r % 5) * 30_000).toISOString() : null;
      await writer.apply({
        type: 'import',
        sessionId,
        student: { id: student.id, name: student.name, studentNumber: student.student_number },
        status,
        method: status === 'absent' ? 'auto' : status === 'excused' ? 'rollcall' : r % 3 === 0 ? 'qr' : 'code',
        checkedInAt: checkedIn,
        at: endsAt,
        note: status === 'excused' ? 'Medical appointment (demo)' : null,
        actorId: status === 'excused' ? teacherId : null,
        reason: 'demo data',
      });
    }
  });
}

function courseStudents(db: Kysely<Database>, courseId: string) {
  return db
    .selectFrom('enrollments')
    .innerJoin('users', 'users.id', 'enrollments.student_id')
    .select(['users.id', 'users.name', 'users.student_number'])
    .where('enrollments.course_id', '=', courseId)
    .orderBy('users.id')
    .execute();
}

/** A session held in the past: opened at its start, closed at its end. */
function closeHeldSession(db: Kysely<Database>, sessionId: string, startsAt: string, endsAt: string) {
  return db.updateTable('sessions').set({ state: 'closed', opened_at: startsAt, closed_at: endsAt, updated_at: endsAt }).where('id', '=', sessionId).execute();
}
