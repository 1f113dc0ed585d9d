import type { FastifyInstance } from 'fastify';
import type { AttemptGate } from '../../lib/limiter.js';
import type { UserAccess } from '../../plugins/auth.plugin.js';
import { findUserAccess } from '../users/users.repository.js';
import type { Kysely } from 'kysely';
import type { AttendanceRecord } from '../../../common/attendance.schemas.js';
import type { Database, SessionKind } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import { findRecord, studentInCourse, type StudentInCourse } from '../attendance/records.repository.js';
import { toRecord } from '../attendance/records.service.js';
import { writeRecords, type CheckinCommand } from '../attendance/record-writer.js';
import { admitRule, notEnrolled } from '../attendance/admit.js';
import type { CheckinAttendance } from '../../../common/report.schemas.js';
import { checkinAttendance } from '../reports/checkin-attendance.js';
import { decideCheckin, decideDeferred, type Location } from './checkin-policy.js';
import { looksLikeTypedCode, matchesCode } from './codes.js';
import type { CodeSession } from './open-sessions.cache.js';

type Db = Kysely<Database>;

export type { Location } from './checkin-policy.js';

export interface CheckinResult {
  record: AttendanceRecord;
  alreadyCheckedIn: boolean;
  session: { id: string; courseCode: string; courseName: string; kind: SessionKind; number: number | null; title: string | null };
  /** The student's attendance in the course right after the check-in. */
  attendance: CheckinAttendance;
}

const invalidCode = () =>
  new AppError(403, 'invalid_code', 'Invalid code', 'That code is wrong or has expired. Check the screen and try again.');
const sessionNotOpen = (state: string) =>
  new AppError(409, 'session_not_open', 'Session not open', state === 'closed' ? 'This session is already closed.' : `This session is ${state}; check-in is not open.`);
const tooManyAttempts = (seconds: number) =>
  new AppError(429, 'too_many_attempts', 'Too many attempts', `Too many wrong codes. Wait ${Math.ceil(seconds / 60)} minutes and try again.`, undefined, {
    retryAfterSeconds: seconds,
  });

interface Candidate {
  session: CodeSession;
  method: 'code' | 'qr';
  /** The student and their enrolment in the session's course, when the lookup already read them (one round trip less). */
  student?: Awaited<ReturnType<typeof studentOf>>;
}

/**
 * Finds the session a typed code or QR token belongs to, preferring the student's own courses. A
 * code that is valid only for other courses' sessions is `not_enrolled` — and counts as a failed
 * attempt like a wrong code, so a guesser learns nothing for free.
 */
async function findSessionByCode(app: FastifyInstance, studentId: string, code: string, sessionId: string | undefined): Promise<Candidate> {
  const now = Date.now();
  const method = looksLikeTypedCode(code) ? 'code' : 'qr';
  let matching = (await app.openSessions.matching(code, now)).filter((s) => !sessionId || s.id === sessionId);
  if (matching.length === 0 && sessionId) {
    const { session, state } = await freshSession(app, sessionId, now);
    if (state && state !== 'open') throw sessionNotOpen(state);
    if (session) matching = (await app.openSessions.matching(code, now)).filter((s) => s.id === sessionId);
  } else if (matching.length === 0) {
    // A session opened on another node since this node's last look is not in its cache yet: look
    // again before calling the code wrong.
    app.openSessions.lookAgain();
    matching = await app.openSessions.matching(code, now);
  }
  if (matching.length === 0) throw invalidCode();
  const { mine, student } = await enrolledAmong(app.db, studentId, matching.map((m) => m.courseId));
  const chosen = matching.find((m) => m.state === 'open' && mine.has(m.courseId)) ?? matching.find((m) => mine.has(m.courseId));
  if (!chosen) throw notEnrolled();
  if (chosen.state !== 'open') throw sessionNotOpen(chosen.state);
  return { session: chosen, method, student };
}

/**
 * The session from this node's cache of open sessions; when the cache lacks it but the database says
 * it is open (opened on another node within the cache's refresh interval), the cache is refreshed
 * and asked again, so a student is never told "wrong code" or "starting" for a session that is open.
 */
async function freshSession(app: FastifyInstance, sessionId: string, now: number) {
  const cached = await app.openSessions.get(sessionId, now);
  if (cached?.state === 'open') return { session: cached, state: 'open' as const };
  // One incremental look, shared by every request that misses meanwhile (a burst on the node that did
  // not open the session), instead of a read of the session per request.
  app.openSessions.lookAgain();
  const fresh = await app.openSessions.get(sessionId, now);
  if (fresh?.state === 'open') return { session: fresh, state: 'open' as const };
  const state = await sessionState(app.db, sessionId);
  return { session: fresh, state };
}

/** Codes answered with these count against the wrong-code budget. */
const GUESS_ERRORS = new Set(['invalid_code', 'not_enrolled']);

/** How long an attempt waits for reservations of attempts still in flight to be refunded. */
const PATIENCE_MS = 3000;

const gates = new WeakMap<FastifyInstance, AttemptGate>();

/**
 * Reserves one attempt of the student (or student number) BEFORE the code is checked, atomically, so
 * parallel guesses cannot overrun the budget; the address's failures are counted after the check (a
 * class behind one NAT checks in at once), and an address that spent its budget is refused in the
 * same step (one Redis round trip). Returns `refund` (a right code gives the reservation back) and
 * `failed` (a wrong code: the reservation stays and the address's count grows).
 */
async function failureGate(app: FastifyInstance, keys: [string, string]) {
  const { config } = app;
  let gate = gates.get(app);
  if (!gate) {
    gate = app.limits.gate({
      name: 'checkin',
      whoPoints: config.CHECKIN_MAX_FAILURES_PER_USER,
      ipPoints: config.CHECKIN_MAX_FAILURES_PER_IP,
      durationSeconds: config.CHECKIN_FAILURE_WINDOW_SECONDS,
    });
    gates.set(app, gate);
  }
  const entry = await gate.enter(keys[0], keys[1], PATIENCE_MS);
  if (!entry.allowed) throw tooManyAttempts(config.CHECKIN_FAILURE_WINDOW_SECONDS);
  return entry;
}

export interface CodeCheckinInput {
  studentId: string;
  code: string;
  sessionId?: string;
  location?: Location;
  ip: string;
  browserId: string | null;
  /** The browser id was minted by this request: no other record can carry it. */
  newBrowser?: boolean;
  /** Checks the caller's current role and active flag (`requireUserLater`); throws 401/403. */
  confirmAccess(current: UserAccess | undefined): void;
}

/** A logged-in student's check-in with a typed code or a QR token (API: POST /api/checkin). */
export async function checkInWithCode(app: FastifyInstance, input: CodeCheckinInput): Promise<CheckinResult> {
  const now = Date.now();
  const matched = (await app.openSessions.matching(input.code, now)).filter((s) => !input.sessionId || s.id === input.sessionId);
  const courseIds = new Set(matched.map((s) => s.courseId));
  const open = matched.find((s) => s.state === 'open');
  // The usual case, decided in this node's memory: the code points at an open session of one
  // course. Then the student's row (role, active flag, name, enrolment) is read inside the
  // check-in's transaction, in the statement that reads the session's state: no read before it.
  if (courseIds.size === 1 && open) return checkInOne(app, input, open);
  // Who is asking comes first: a student deactivated (or no longer a student) since signing in is
  // stopped before anything else.
  input.confirmAccess(await findUserAccess(app.db, input.studentId));
  const gate = await failureGate(app, [`user:${input.studentId}`, input.ip]);
  let candidate: Candidate;
  try {
    candidate = await findSessionByCode(app, input.studentId, input.code, input.sessionId);
  } catch (err) {
    if (err instanceof AppError && GUESS_ERRORS.has(err.code)) await gate.failed();
    else await gate.refund();
    throw err;
  }
  // The right code gives its reserved attempt back; the check-in does not wait for that (Redis may be slow).
  void gate.refund();
  const { session, method } = candidate;
  const student = candidate.student ?? (await studentOf(app.db, input.studentId, session.courseId));
  if (!student || !student.enrolled) throw notEnrolled();
  const decision = decideCheckin(session.policy, { method, ip: input.ip, location: input.location, at: Date.now(), session });
  return checkIn(app, session, {
    type: 'checkin',
    session,
    student: { id: input.studentId, name: student.name, studentNumber: student.student_number },
    method,
    decision,
    browserId: input.browserId,
    newBrowser: input.newBrowser,
    actorId: input.studentId,
  });
}

/**
 * A code of one course's open session. The answers and their order are those of the general path:
 * 401/403 for a caller deactivated or no longer a student, 429 when the student or address spent
 * their wrong-code budget, `not_enrolled` (counted as a wrong code), the policy's refusals, then the
 * session's state — but the student's row is read by the write command inside the transaction
 * (`admit`), with the session's state and the attendance figure, instead of before it.
 */
async function checkInOne(app: FastifyInstance, input: CodeCheckinInput, session: CodeSession): Promise<CheckinResult> {
  let gate: Awaited<ReturnType<typeof failureGate>>;
  try {
    gate = await failureGate(app, [`user:${input.studentId}`, input.ip]);
  } catch (err) {
    // A refusal of the budget must not hide that the account is gone: that answer comes first.
    input.confirmAccess(await findUserAccess(app.db, input.studentId));
    throw err;
  }
  const method = looksLikeTypedCode(input.code) ? 'code' : 'qr';
  const { decision, refusal } = decideDeferred(() => decideCheckin(session.policy, { method, ip: input.ip, location: input.location, at: Date.now(), session }));
  try {
    const result = await checkIn(app, session, {
      type: 'checkin',
      session,
      student: { id: input.studentId, admit: admitRule('caller', refusal) },
      method,
      decision,
      browserId: input.browserId,
      newBrowser: input.newBrowser,
      actorId: input.studentId,
    });
    // Admitted by the write command: the row it read was an active student's (admit.ts).
    input.confirmAccess({ role: 'student', active: 1 });
    void gate.refund();
    return result;
  } catch (err) {
    if (err instanceof AppError && GUESS_ERRORS.has(err.code)) await gate.failed();
    else void gate.refund();
    throw err;
  }
}

const activeOnly = (row: StudentInCourse | undefined) => (row && row.active === 1 ? row : undefined);

async function studentOf(db: Db, studentId: string, courseId: string) {
  return activeOnly(await studentInCourse(db, studentId, courseId));
}

function sessionState(db: Db, sessionId: string) {
  return db
    .selectFrom('sessions')
    .select('state')
    .where('id', '=', sessionId)
    .executeTakeFirst()
    .then((r) => r?.state);
}

/** Which of the courses the student is enrolled in (with one course: and the student's row, which the check-in reuses). */
async function enrolledAmong(db: Db, studentId: string, courseIds: string[]): Promise<{ mine: Set<string>; student?: Awaited<ReturnType<typeof studentOf>> }> {
  if (courseIds.length === 1) {
    const row = await studentOf(db, studentId, courseIds[0]);
    return { mine: new Set(row?.enrolled ? [courseIds[0]] : []), student: row };
  }
  const rows = await db.selectFrom('enrollments').select('course_id').where('student_id', '=', studentId).where('course_id', 'in', courseIds).execute();
  return { mine: new Set(rows.map((e) => e.course_id)) };
}

/**
 * Runs the check-in command; a student already recorded gets their record back (`alreadyCheckedIn`).
 * The student's attendance figure in the course is read inside the command's transaction.
 */
async function checkIn(app: FastifyInstance, session: CodeSession, command: CheckinCommand): Promise<CheckinResult> {
  const sessionInfo = { id: session.id, courseCode: session.courseCode, courseName: session.courseName, kind: session.kind, number: session.number, title: session.title };
  const result = await writeRecords(app, { ...command, attendance: true });
  const { changes, record } = result;
  const studentId = (result.student ?? command.student).id!;
  const attendance = async () => result.attendance ?? (await checkinAttendance(app.db, session.courseId, studentId));
  if (record && changes.some((c) => c.action === 'record.checked_in' && c.studentId === studentId)) {
    return { record, alreadyCheckedIn: false, session: sessionInfo, attendance: await attendance() };
  }
  const existing = record ?? toRecordOrNull(await findRecord(app.db, session.id, studentId));
  if (!existing) throw sessionNotOpen('closed');
  return { record: existing, alreadyCheckedIn: true, session: sessionInfo, attendance: await attendance() };
}

const toRecordOrNull = (row: Parameters<typeof toRecord>[0] | undefined) => (row ? toRecord(row) : null);

export interface LinkCheckinInput {
  sessionId: string;
  code: string;
  studentNumber: string;
  name: string;
  location?: Location;
  ip: string;
  browserId: string | null;
  newBrowser?: boolean;
}

const normaliseName = (n: string) =>
  n
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

/** A known active student by number, with whether they take the course. */
function studentByNumber(db: Db, studentNumber: string, courseId: string) {
  return db
    .selectFrom('users')
    .leftJoin('enrollments', (j) => j.onRef('enrollments.student_id', '=', 'users.id').on('enrollments.course_id', '=', courseId))
    .select(['users.id', 'users.name', 'users.student_number', 'users.role', 'users.active', 'enrollments.course_id as enrolled'])
    .where('users.student_number', '=', studentNumber)
    .executeTakeFirst();
}

function usernameTaken(db: Db, username: string) {
  return db
    .selectFrom('users')
    .select('id')
    .where('username', '=', username)
    .executeTakeFirst()
    .then((r) => r !== undefined);
}

/**
 * Check-in without an account (seed 003): student number + name + the session's code. With
 * `allowSelfEnroll` an unknown student is created and enrolled — in the check-in's own transaction;
 * a name that does not match the number's owner is recorded with a `name-mismatch` flag for the
 * teacher to review.
 */
export async function checkInWithLink(app: FastifyInstance, input: LinkCheckinInput): Promise<CheckinResult> {
  const gate = await failureGate(app, [`number:${input.studentNumber.toLowerCase()}`, input.ip]);
  const now = Date.now();
  let guessedWrong = false;
  let session;
  try {
    const fresh = await freshSession(app, input.sessionId, now);
    session = fresh.session;
    if (!session || session.state !== 'open') {
      if (!fresh.state) throw new AppError(404, 'not_found', 'Session not found');
      throw sessionNotOpen(fresh.state === 'open' ? 'starting' : fresh.state);
    }
    if (!session.policy.methods.includes('link')) {
      // The policy module's refusal, before the code is even looked at.
      decideCheckin(session.policy, { method: 'link', at: now, session });
    }
    if (!matchesCode(session.code, input.code, now)) {
      guessedWrong = true;
      throw invalidCode();
    }
  } finally {
    // Only a wrong code keeps its reserved attempt.
    if (guessedWrong) await gate.failed();
    else void gate.refund();
  }
  const decision = decideCheckin(session.policy, { method: 'link', ip: input.ip, location: input.location, at: now, session });
  const base = {
    type: 'checkin' as const,
    session,
    method: 'link' as const,
    browserId: input.browserId,
    newBrowser: input.newBrowser,
    actorId: null,
  };
  for (let attempt = 0; ; attempt++) {
    let student = await studentByNumber(app.db, input.studentNumber, session.courseId);
    if (student && (student.role !== 'student' || student.active !== 1)) student = undefined;
    if (!student) {
      if (!session.policy.allowSelfEnroll) {
        throw new AppError(404, 'unknown_student', 'Unknown student number', 'No student has that number. Check it, or ask your teacher.');
      }
      const username = await newUsername(app.db, input.studentNumber);
      try {
        return await checkIn(app, session, {
          ...base,
          decision,
          student: { id: newId(), name: input.name, studentNumber: input.studentNumber },
          enroll: { method: 'link', create: { username, name: input.name, studentNumber: input.studentNumber } },
        });
      } catch (err) {
        // Two phones submitted the same new number at once: the other one created the student.
        if (attempt === 0 && !(err instanceof AppError)) continue;
        throw err;
      }
    }
    if (!student.enrolled && !session.policy.allowSelfEnroll) throw notEnrolled();
    const flags = normaliseName(student.name) !== normaliseName(input.name) ? [...decision.flags, 'name-mismatch'] : decision.flags;
    return checkIn(app, session, {
      ...base,
      decision: { ...decision, flags },
      student: { id: student.id, name: student.name, studentNumber: student.student_number },
      enroll: student.enrolled ? undefined : { method: 'link' },
    });
  }
}

async function newUsername(db: Db, studentNumber: string): Promise<string> {
  const base = studentNumber.toLowerCase().replace(/[^a-z0-9._@-]+/g, '-').replace(/^-+|-+$/g, '') || 'student';
  return (await usernameTaken(db, base)) ? `${base}-${newId().slice(-6)}` : base;
}
