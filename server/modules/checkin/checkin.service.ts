import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import type { AttendanceRecord } from '../../../common/attendance.schemas.js';
import type { SessionPolicy } from '../../../common/session.schemas.js';
import type { Database } from '../../db/database.js';
import { CommitGroup } from '../../db/commit-group.js';
import { hotQuery } from '../../db/hot-query.js';
import { AppError } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import { insertAudit } from '../audit/audit.repository.js';
import { findRecord, insertRecordIfAbsent, recordsFromBrowser, updateRecordRow, type RecordRow } from '../attendance/records.repository.js';
import { parseFlags, publishRecordChange, toRecord } from '../attendance/records.service.js';
import { codeMatcher, looksLikeTypedCode, matchesCode } from './codes.js';
import type { CodeSession } from './open-sessions.cache.js';

type Db = Kysely<Database>;

export interface Location {
  lat: number;
  lng: number;
  accuracyM?: number;
}

export interface CheckinResult {
  record: AttendanceRecord;
  alreadyCheckedIn: boolean;
  session: { id: string; courseCode: string; courseName: string; number: number; title: string | null };
}

const invalidCode = () =>
  new AppError(403, 'invalid_code', 'Invalid code', 'That code is wrong or has expired. Check the screen and try again.');
const notEnrolled = () =>
  new AppError(403, 'not_enrolled', 'Not enrolled', 'You are not enrolled in the course of this session. Ask your teacher to add you.');
const sessionNotOpen = (state: string) =>
  new AppError(409, 'session_not_open', 'Session not open', state === 'closed' ? 'This session is already closed.' : `This session is ${state}; check-in is not open.`);
const tooManyAttempts = (seconds: number) =>
  new AppError(429, 'too_many_attempts', 'Too many attempts', `Too many wrong codes. Wait ${Math.ceil(seconds / 60)} minutes and try again.`, undefined, {
    retryAfterSeconds: seconds,
  });

/** Great-circle distance in metres. */
export function distanceM(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const R = 6_371_000;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

const blockLists = new Map<string, BlockList>();
/** Whether `ip` is in one of the CIDR ranges (or single addresses). */
export function ipAllowed(ip: string, networks: string[]): boolean {
  const key = networks.join(',');
  let list = blockLists.get(key);
  if (!list) {
    list = new BlockList();
    for (const n of networks) {
      const [addr, bits] = n.split('/');
      const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
      if (bits === undefined) list.addAddress(addr, type);
      else list.addSubnet(addr, Number(bits), type);
    }
    if (blockLists.size > 1000) blockLists.clear();
    blockLists.set(key, list);
  }
  const plain = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  return list.check(plain, isIPv6(plain) ? 'ipv6' : 'ipv4');
}

/** The flags that doubtful location/network signals give, or an error when the policy refuses them. */
function policyFlags(policy: SessionPolicy, ip: string, location: Location | undefined): string[] {
  const flags: string[] = [];
  if (policy.allowedNetworks.length > 0 && !ipAllowed(ip, policy.allowedNetworks)) {
    throw new AppError(403, 'network_not_allowed', 'Network not allowed', 'Check in from the campus network (Wi-Fi) for this session.');
  }
  const fence = policy.geofence;
  if (fence) {
    if (!location) {
      if (fence.mode === 'reject') {
        throw new AppError(403, 'outside_geofence', 'Location needed', 'This session needs your location: allow location access and try again.');
      }
      flags.push('no-location');
    } else {
      const slack = Math.min(location.accuracyM ?? 0, 200);
      if (distanceM(fence, location) > fence.radiusM + slack) {
        if (fence.mode === 'reject') {
          throw new AppError(403, 'outside_geofence', 'Outside the classroom', 'Your location is outside the area of this session.');
        }
        flags.push('outside-geofence');
      }
    }
  }
  return flags;
}

/** A check-in after max(start, opening) + lateAfterMinutes is late. */
export function statusAt(session: Pick<CodeSession, 'startsAt' | 'openedAt' | 'policy'>, at: number): 'present' | 'late' {
  const from = Math.max(Date.parse(session.startsAt), Date.parse(session.openedAt));
  return at > from + session.policy.lateAfterMinutes * 60_000 ? 'late' : 'present';
}

interface Candidate {
  session: CodeSession;
  method: 'code' | 'qr';
}

/** Finds the session a typed code or QR token belongs to, preferring the student's own courses. */
async function findSessionByCode(app: FastifyInstance, studentId: string, code: string, sessionId: string | undefined): Promise<Candidate> {
  const now = Date.now();
  const sessions = await app.openSessions.list(now);
  const method = looksLikeTypedCode(code) ? 'code' : 'qr';
  const matcher = codeMatcher(code);
  const matching = sessions.filter((s) => (!sessionId || s.id === sessionId) && matcher(s.code, now));
  if (matching.length === 0) {
    if (sessionId && !sessions.some((s) => s.id === sessionId)) {
      const row = await app.db.selectFrom('sessions').select('state').where('id', '=', sessionId).executeTakeFirst();
      if (row && row.state !== 'open') throw sessionNotOpen(row.state);
    }
    throw invalidCode();
  }
  let chosen = matching[0];
  if (matching.length > 1) {
    const enrolled = await app.db
      .selectFrom('enrollments')
      .select('course_id')
      .where('student_id', '=', studentId)
      .where(
        'course_id',
        'in',
        matching.map((m) => m.courseId),
      )
      .execute();
    const mine = new Set(enrolled.map((e) => e.course_id));
    chosen = matching.find((m) => m.state === 'open' && mine.has(m.courseId)) ?? matching.find((m) => mine.has(m.courseId)) ?? matching[0];
  }
  if (chosen.state !== 'open') throw sessionNotOpen(chosen.state);
  return { session: chosen, method };
}

async function failureGate(app: FastifyInstance, keys: string[]) {
  const { config, limiter } = app;
  const limits = [config.CHECKIN_MAX_FAILURES_PER_USER, config.CHECKIN_MAX_FAILURES_PER_IP];
  const counts = await Promise.all(keys.map((k) => limiter.count(k)));
  if (counts.some((n, i) => n >= limits[i])) throw tooManyAttempts(config.CHECKIN_FAILURE_WINDOW_SECONDS);
  return async () => {
    await Promise.all(keys.map((k) => limiter.hit(k, config.CHECKIN_FAILURE_WINDOW_SECONDS)));
  };
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
}

/** A logged-in student's check-in with a typed code or a QR token (API: POST /api/checkin). */
export async function checkInWithCode(app: FastifyInstance, input: CodeCheckinInput): Promise<CheckinResult> {
  const recordFailure = await failureGate(app, [`checkin:user:${input.studentId}`, `checkin:ip:${input.ip}`]);
  let candidate: Candidate;
  try {
    candidate = await findSessionByCode(app, input.studentId, input.code, input.sessionId);
  } catch (err) {
    if ((err as AppError).code === 'invalid_code') await recordFailure();
    throw err;
  }
  const { session, method } = candidate;
  if (!session.policy.methods.includes(method)) {
    throw new AppError(403, 'method_not_allowed', 'Method not allowed', `This session does not accept ${method === 'qr' ? 'QR' : 'typed code'} check-ins.`);
  }
  const student = await studentOf(app.db, input.studentId, session.courseId);
  if (!student || !student.enrolled) throw notEnrolled();
  const flags = policyFlags(session.policy, input.ip, input.location);
  return recordCheckin(
    app,
    session,
    { id: input.studentId, name: student.name, studentNumber: student.student_number },
    method,
    flags,
    input.browserId,
    input.studentId,
    undefined,
    null,
    input.newBrowser,
  );
}

const studentQuery = hotQuery((db: Db, studentId: string, courseId: string) =>
  db
    .selectFrom('users')
    .leftJoin('enrollments', (j) => j.onRef('enrollments.student_id', '=', 'users.id').on('enrollments.course_id', '=', courseId))
    .select(['users.id', 'users.name', 'users.student_number', 'users.active', 'enrollments.course_id as enrolled'])
    .where('users.id', '=', studentId),
);

async function studentOf(db: Db, studentId: string, courseId: string) {
  const row = (await studentQuery(db, studentId, courseId)).rows[0];
  return row && row.active === 1 ? row : undefined;
}

/** The session's state inside the check-in transaction (on PostgreSQL with a share lock: a close waits for the check-in). */
const sessionStateQuery = {
  sqlite: hotQuery((db: Db, id: string) => db.selectFrom('sessions').select('state').where('id', '=', id)),
  postgres: hotQuery((db: Db, id: string) => db.selectFrom('sessions').select('state').where('id', '=', id).forShare()),
};

const commitGroups = new WeakMap<Db, CommitGroup<Database>>();

/** The check-in's transaction: on SQLite grouped with others arriving together (see CommitGroup), on PostgreSQL its own. */
function checkinTransaction<T>(app: FastifyInstance, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (app.dialect !== 'sqlite') return app.db.transaction().execute(work);
  let group = commitGroups.get(app.db);
  if (!group) {
    group = new CommitGroup(app.db);
    commitGroups.set(app.db, group);
  }
  return group.run(work);
}

/**
 * Writes the check-in: one record (the database's unique key absorbs duplicates and races), its audit
 * event and any shared-device flags in one transaction, after re-reading that the session is open.
 * The check-in time is `at` (a device's scan time) or else the moment the write runs.
 */
export async function recordCheckin(
  app: FastifyInstance,
  session: CodeSession,
  student: { id: string; name: string; studentNumber: string | null },
  method: RecordRow['method'],
  flags: string[],
  browserId: string | null,
  actorId: string | null,
  at?: number,
  auditReason: string | null = null,
  /** `browserId` is brand new (minted by this request): skip looking for other records from it. */
  newBrowser = false,
): Promise<CheckinResult> {
  const sessionInfo = { id: session.id, courseCode: session.courseCode, courseName: session.courseName, number: session.number, title: session.title };
  const outcome = await checkinTransaction(app, async (trx) => {
    const when = at ?? Date.now();
    const now = new Date(when).toISOString();
    const current = (await sessionStateQuery[app.dialect](trx, session.id)).rows[0];
    if (!current || current.state !== 'open') throw sessionNotOpen(current?.state ?? 'gone');
    const others = browserId && !newBrowser ? await recordsFromBrowser(trx, session.id, browserId, student.id) : [];
    const row: RecordRow = {
      id: newId(),
      session_id: session.id,
      student_id: student.id,
      status: statusAt(session, when),
      state: session.policy.requireApproval ? 'pending' : 'confirmed',
      method,
      checked_in_at: now,
      updated_at: now,
      updated_by: actorId,
      note: null,
      flags: JSON.stringify(others.length ? [...flags, 'shared-device'] : flags),
      browser_id: browserId,
      absence_id: null,
      version: 1,
    };
    if (!(await insertRecordIfAbsent(trx, row))) return { created: false as const };
    await insertAudit(trx, {
      actorId,
      action: 'record.checked_in',
      entity: 'record',
      entityId: row.id,
      sessionId: session.id,
      studentId: student.id,
      after: toRecord(row),
      reason: auditReason,
    });
    const flagged: RecordRow[] = [];
    for (const other of others) {
      const otherFlags = parseFlags(other.flags);
      if (otherFlags.includes('shared-device')) continue;
      const updated = await updateRecordRow(trx, other.id, { flags: JSON.stringify([...otherFlags, 'shared-device']), updated_at: now });
      if (!updated) continue;
      await insertAudit(trx, {
        actorId: null,
        action: 'record.flagged',
        entity: 'record',
        entityId: other.id,
        sessionId: session.id,
        studentId: other.student_id,
        before: toRecord(other),
        after: toRecord(updated),
        reason: `the same browser checked in ${student.name}`,
      });
      flagged.push(updated);
    }
    return { created: true as const, row, flagged };
  });
  if (!outcome.created) {
    const existing = await findRecord(app.db, session.id, student.id);
    if (!existing) throw sessionNotOpen('closed');
    return { record: toRecord(existing), alreadyCheckedIn: true, session: sessionInfo };
  }
  publishRecordChange(app, session.courseId, { event: 'CHECKIN', row: outcome.row, student });
  for (const f of outcome.flagged) publishRecordChange(app, session.courseId, { event: 'RECORD_UPDATED', row: f });
  return { record: toRecord(outcome.row), alreadyCheckedIn: false, session: sessionInfo };
}


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

/**
 * Check-in without an account (seed 003): student number + name + the session's code. With
 * `allowSelfEnroll` an unknown student is created and enrolled; a name that does not match the
 * number's owner is recorded with a `name-mismatch` flag for the teacher to review.
 */
export async function checkInWithLink(app: FastifyInstance, input: LinkCheckinInput): Promise<CheckinResult> {
  const recordFailure = await failureGate(app, [`checkin:number:${input.studentNumber.toLowerCase()}`, `checkin:ip:${input.ip}`]);
  const now = Date.now();
  const session = (await app.openSessions.list(now)).find((s) => s.id === input.sessionId);
  if (!session || session.state !== 'open') {
    const row = await app.db.selectFrom('sessions').select('state').where('id', '=', input.sessionId).executeTakeFirst();
    if (!row) throw new AppError(404, 'not_found', 'Session not found');
    throw sessionNotOpen(row.state === 'open' ? 'starting' : row.state);
  }
  if (!session.policy.methods.includes('link')) {
    throw new AppError(403, 'method_not_allowed', 'Sign in to check in', 'This session does not accept check-in without an account. Sign in first.');
  }
  if (!matchesCode(session.code, input.code, now)) {
    await recordFailure();
    throw invalidCode();
  }
  const flags = policyFlags(session.policy, input.ip, input.location);
  let student = await app.db
    .selectFrom('users')
    .leftJoin('enrollments', (j) => j.onRef('enrollments.student_id', '=', 'users.id').on('enrollments.course_id', '=', session.courseId))
    .select(['users.id', 'users.name', 'users.student_number', 'users.role', 'users.active', 'enrollments.course_id as enrolled'])
    .where('users.student_number', '=', input.studentNumber)
    .executeTakeFirst();
  if (student && (student.role !== 'student' || student.active !== 1)) student = undefined;
  if (!student) {
    if (!session.policy.allowSelfEnroll) {
      throw new AppError(404, 'unknown_student', 'Unknown student number', 'No student has that number. Check it, or ask your teacher.');
    }
    const created = await createLinkStudent(app, session, input.studentNumber, input.name);
    return recordCheckin(app, session, created, 'link', flags, input.browserId, null, undefined, null, input.newBrowser);
  }
  if (!student.enrolled) {
    if (!session.policy.allowSelfEnroll) throw notEnrolled();
    await enrollByLink(app.db, session, student.id);
  }
  if (normaliseName(student.name) !== normaliseName(input.name)) flags.push('name-mismatch');
  return recordCheckin(
    app,
    session,
    { id: student.id, name: student.name, studentNumber: student.student_number },
    'link',
    flags,
    input.browserId,
    null,
    undefined,
    null,
    input.newBrowser,
  );
}

async function enrollByLink(db: Db, session: CodeSession, studentId: string, trx?: Db) {
  const run = async (t: Db) => {
    const r = await t
      .insertInto('enrollments')
      .values({ course_id: session.courseId, student_id: studentId, method: 'link', created_at: new Date().toISOString() })
      .onConflict((oc) => oc.columns(['course_id', 'student_id']).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0n) === 1) {
      await insertAudit(t, {
        actorId: null,
        action: 'enrollment.created',
        entity: 'enrollment',
        entityId: `${session.courseId}:${studentId}`,
        studentId,
        sessionId: session.id,
        after: { courseId: session.courseId, studentId, method: 'link' },
        reason: 'self-enrolled through the session link',
      });
    }
  };
  return trx ? run(trx) : db.transaction().execute(run);
}

async function createLinkStudent(app: FastifyInstance, session: CodeSession, studentNumber: string, name: string) {
  const base = studentNumber.toLowerCase().replace(/[^a-z0-9._@-]+/g, '-').replace(/^-+|-+$/g, '') || 'student';
  const now = new Date().toISOString();
  try {
    return await app.db.transaction().execute(async (trx) => {
      const taken = await trx.selectFrom('users').select('id').where('username', '=', base).executeTakeFirst();
      const row = {
        id: newId(),
        role: 'student' as const,
        username: taken ? `${base}-${newId().slice(-6)}` : base,
        email: null,
        name,
        phone: null,
        student_number: studentNumber,
        staff_number: null,
        section_id: null,
        active: 1,
        password_hash: null,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto('users').values(row).execute();
      await insertAudit(trx, {
        actorId: null,
        action: 'user.created',
        entity: 'user',
        entityId: row.id,
        after: { id: row.id, role: row.role, username: row.username, name, studentNumber },
        reason: 'self-enrolled through the session link',
      });
      await enrollByLink(app.db, session, row.id, trx);
      return { id: row.id, name, studentNumber };
    });
  } catch (err) {
    // Two phones submitted the same new number at once: the other one created the student.
    const existing = await app.db.selectFrom('users').select(['id', 'name', 'student_number']).where('student_number', '=', studentNumber).executeTakeFirst();
    if (!existing) throw err;
    await enrollByLink(app.db, session, existing.id);
    return { id: existing.id, name: existing.name, studentNumber: existing.student_number };
  }
}
