import type { FastifyInstance } from 'fastify';
import type { AttendanceRecord } from '../../../common/attendance.schemas.js';
import type { ScanInput } from '../../../common/device.schemas.js';
import { AppError, conflict, validationFailed } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import { addDays, localDateOf, localToUtc } from '../../lib/timezone.js';
import { toRecord } from '../attendance/records.service.js';
import { noActiveSession } from '../attendance/roll-call.service.js';
import { ReplayedScan, writeRecords, type CheckinCommand } from '../attendance/record-writer.js';
import { admitRule, notEnrolledIn, unknownStudent } from '../attendance/admit.js';
import type { CodeSession } from '../checkin/open-sessions.cache.js';
import { decideCheckin, decideDeferred } from '../checkin/checkin-policy.js';
import { boundSessions } from './devices.service.js';
import { activeStudentByNumber, enrolledCourses, findScan, type DeviceRow } from './devices.repository.js';
import type { RecordRow } from '../attendance/records.repository.js';

/** How far a device's clock may be off (ahead of the server, or before the session opened) and still count. */
export const SCAN_CLOCK_TOLERANCE_MS = 5 * 60_000;

type MaybeRecord = { [K in keyof RecordRow]: RecordRow[K] | null };
const isRecordRow = (row: MaybeRecord): row is RecordRow => row.id !== null;

export interface ScanResult {
  record: AttendanceRecord;
  /** The student was already recorded, or this scan_id was delivered before. */
  duplicate: boolean;
}

/**
 * When the device saw the student: `date` + `time` read in the institution's time zone, or now. A
 * time without a date is today's; if that lands in the future it was yesterday's (a scan taken just
 * before midnight and delivered just after).
 */
export function scanInstant(input: Pick<ScanInput, 'date' | 'time'>, timeZone: string, now = Date.now()): number {
  if (!input.time) return now;
  const [hh, mm, ss = '0'] = input.time.split(':');
  const at = (date: string) => localToUtc(date, `${hh}:${mm}`, timeZone).getTime() + Number(ss) * 1000;
  if (input.date) return at(input.date);
  const today = localDateOf(new Date(now), timeZone);
  const t = at(today);
  if (t <= now + SCAN_CLOCK_TOLERANCE_MS) return t;
  return at(addDays(today, -1));
}

/**
 * A device scan (seed 002, POST /api/attendance/scan). The scan goes to the open session bound to the
 * device (if several are, the one whose course the student takes) through the write command like
 * every other check-in: one record per session × student, decided by the database's unique key, so
 * a second scan of the student is a duplicate. The scan is logged with the device's id and its
 * `scan_id` under a unique key in the same transaction: a replay (even ten at once) finds the key
 * taken, writes nothing, and answers with the record the first delivery made.
 */
export async function recordScan(app: FastifyInstance, device: DeviceRow, input: ScanInput, checkKey: KeyCheck, now = Date.now()): Promise<ScanResult> {
  try {
    return await scan(app, device, input, now);
  } catch (err) {
    // A replay of a scan delivered earlier (say from the queue of a device that was offline) answers
    // as a duplicate even when the session it went to has closed since.
    if (input.scan_id && err instanceof AppError && REFUSALS.has(err.code)) {
      await checkKey();
      const known = await findScan(app.db, device.id, input.scan_id);
      if (known) return replayed(app, device, input.scan_id);
    }
    throw err;
  }
}

/**
 * Throws 401 if the device's key was revoked; a no-op once checked. Every scan that writes has its
 * key checked by the write's transaction, and every error answer by the route's error handler; the
 * one success that does neither (a replay of a refused scan, answered from the scan log) calls this.
 */
export type KeyCheck = () => Promise<void>;

const REFUSALS = new Set(['no_active_session', 'not_enrolled', 'unknown_student']);

async function scan(app: FastifyInstance, device: DeviceRow, input: ScanInput, now: number): Promise<ScanResult> {
  const studentNumber = String(input.student_id);
  let at = scanInstant(input, app.config.TIMEZONE, now);
  if (at > now + SCAN_CLOCK_TOLERANCE_MS) {
    throw validationFailed(`The scan time ${new Date(at).toISOString()} is in the future: check the device's clock and time zone (${app.config.TIMEZONE}).`, [
      { path: 'time', message: 'in the future' },
    ]);
  }
  at = Math.min(at, now);

  const sessions = await boundSessions(app, device.id);
  if (sessions.length === 0) throw noActiveSession('No open session is bound to this device: the teacher opens the session with this device selected.');
  const base = {
    type: 'checkin' as const,
    method: 'device' as const,
    at,
    actorId: null,
    reason: `scanned by device "${device.name}" (${device.id})`,
    scan: { deviceId: device.id, scanId: input.scan_id ?? `server:${newId()}`, studentNumber },
  };
  let command: CheckinCommand;
  if (sessions.length === 1) {
    // The usual case: one session bound to the device. The student (by number, with their
    // enrolment) is read inside the write's transaction, in its first statement — which on
    // PostgreSQL also logs a repeated scan against the record already there. The answers and their
    // order are those below: unknown student, not enrolled, the scan's time, the policy, the state.
    const [session] = sessions;
    const { decision, refusal } = decideDeferred(() => decideScan(device, session, at));
    command = {
      ...base,
      session,
      decision,
      student: { studentNumber, admit: admitRule('scanned', refusal) },
    };
  } else {
    const student = await activeStudentByNumber(app.db, studentNumber);
    if (!student) throw unknownStudent(studentNumber);
    const enrolled = await enrolledCourses(app.db, student.id, sessions.map((s) => s.courseId));
    const session = sessions.find((s) => enrolled.has(s.courseId));
    if (!session) throw notEnrolledIn(studentNumber);
    command = { ...base, session, decision: decideScan(device, session, at), student: { id: student.id, name: student.name, studentNumber: student.student_number } };
  }
  try {
    const { changes, record, student } = await writeRecords(app, command);
    const made = changes.some((c) => c.action === 'record.checked_in' && c.studentId === student?.id);
    return { record: record!, duplicate: !made };
  } catch (err) {
    if (err instanceof ReplayedScan) return replayed(app, device, input.scan_id!);
    if (err instanceof AppError && err.code === 'session_not_open') throw noActiveSession('The session bound to this device was closed meanwhile.');
    throw err;
  }
}


/** The scan's time against the session's opening, then the session's policy. */
function decideScan(device: DeviceRow, session: CodeSession, at: number): CheckinCommand['decision'] {
  if (at < Date.parse(session.openedAt) - SCAN_CLOCK_TOLERANCE_MS) {
    throw noActiveSession(
      `The scan was taken at ${new Date(at).toISOString()}, before the session opened (${session.openedAt}); check the device's clock, or drop scans left from an earlier class.`,
    );
  }
  return decideCheckin(session.policy, { method: 'device', deviceId: device.id, at, session });
}

/** A scan_id delivered before: the record it made, or 409 when an admin deleted that record since. */
async function replayed(app: FastifyInstance, device: DeviceRow, scanId: string): Promise<ScanResult> {
  const known = await findScan(app.db, device.id, scanId);
  if (!known) throw noActiveSession('No open session is bound to this device: the teacher opens the session with this device selected.');
  const { scan_row_id: _, ...row } = known;
  if (isRecordRow(row)) return { record: toRecord(row), duplicate: true };
  // A replay must not bring back a record an admin deleted after this scan was delivered.
  throw conflict('This scan was delivered before and the record it made has since been deleted; it is not counted again.');
}
